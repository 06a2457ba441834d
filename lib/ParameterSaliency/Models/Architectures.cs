using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>One architecture the library can build by name, with torchvision's parameter names and order.</summary>
/// <param name="Name">torchvision's name (<c>resnet50</c>, <c>vgg19_bn</c>, <c>densenet121</c>, <c>inception_v3</c>, …), or <c>resnet18-cifar</c>.</param>
/// <param name="Description">What it is, in a few words.</param>
/// <param name="InputSize">The image side its ImageNet weights expect (28 for the CIFAR-style default).</param>
/// <param name="Build">Builds it, untrained, for (classes, input channels).</param>
/// <param name="DefaultClasses">Classes of its usual weights (1000 for ImageNet, 10 for the default).</param>
/// <param name="DefaultInChannels">Input channels of its usual weights.</param>
/// <param name="BuildWithWidth">For ResNets: builds it for (classes, input channels, base width w), so weights of another width load.</param>
/// <param name="Filters">Its conv filters when they are known without building it and do not depend on classes or channels (a Vision Transformer's: the patch filters); null: counted on a built model.</param>
/// <param name="Neurons">Its units of a neuron-wise profile when known without building it (filters plus rows of every 2-D weight but the classifier); null: counted on a built model.</param>
/// <param name="Heads">Its attention heads when known without building it; null: counted on a built model.</param>
/// <param name="BuildFromWeights">For architectures whose sizes all come from the weights (<c>vit</c>): builds it for (weights, attention heads, source).</param>
public sealed record Architecture(string Name, string Description, int InputSize, Func<int, int, nn.Module<Tensor, Tensor>> Build, int DefaultClasses = 1000, int DefaultInChannels = 3,
    Func<int, int, int, nn.Module<Tensor, Tensor>>? BuildWithWidth = null, long? Filters = null,
    Func<IReadOnlyDictionary<string, Tensor>, int?, string, nn.Module<Tensor, Tensor>>? BuildFromWeights = null,
    long? Neurons = null, long? Heads = null)
{
    /// <summary>
    /// The lengths of its profiles s with its default classes and channels: filters F, units of a neuron-wise profile
    /// (filters and neurons) and heads; 0 where it has none. Built once to be counted unless all three are known.
    /// </summary>
    public (long Filters, long Neurons, long Heads) UnitCounts()
    {
        if (Filters is long f && Neurons is long n && Heads is long h) return (f, n, h);
        using var model = Build(DefaultClasses, DefaultInChannels);
        long Count(Saliency.Aggregation aggregation)
        {
            try { return Saliency.ProfileLayout.For(model, aggregation).Length; }
            catch (ArgumentException) { return 0; } // the model has no such units
        }
        return (Filters ?? Count(Saliency.Aggregation.FilterWise), Neurons ?? Count(Saliency.Aggregation.NeuronWise), Heads ?? Count(Saliency.Aggregation.HeadWise));
    }


    /// <summary>
    /// Builds it for <paramref name="weights"/>: classes from the rows of its last 2-D parameter (the head), input
    /// channels from the columns of its first 4-D one (the stem), and for ResNets the width from the stem's rows.
    /// </summary>
    /// <param name="weights">State-dict tensors by PyTorch name: the head's rows give the classes, the stem's columns the input channels, the stem's rows a ResNet's width w.</param>
    /// <param name="source">Where the weights came from (e.g. the file path), for the error message.</param>
    /// <param name="heads">Attention heads per block, for <c>vit</c> (they cannot be read from weights); null otherwise.</param>
    public nn.Module<Tensor, Tensor> BuildFor(IReadOnlyDictionary<string, Tensor> weights, string source, int? heads = null)
    {
        if (BuildFromWeights is not null) return BuildFromWeights(weights, heads, source);
        string first, last;
        using (var probe = Build(DefaultClasses, DefaultInChannels))
        {
            var parameters = probe.named_parameters().ToArray();
            first = parameters.First(p => p.parameter.dim() == 4).name;
            last = parameters.Last(p => p.parameter.dim() == 2).name;
        }
        if (!weights.TryGetValue(first, out var stem) || stem.dim() != 4 || !weights.TryGetValue(last, out var head) || head.dim() != 2)
            throw new InvalidDataException($"{source} has no 4-D '{first}' and 2-D '{last}': not weights of {Name}?");
        int classes = (int)head.shape[0], channels = (int)stem.shape[1];
        return BuildWithWidth is not null ? BuildWithWidth(classes, channels, (int)stem.shape[0]) : Build(classes, channels);
    }

    /// <summary>Conv filters F of the model (with its default classes and input channels unless given): the length of its filter-wise profile s.</summary>
    /// <param name="numClasses">Classes of the head; null for <see cref="DefaultClasses"/>.</param>
    /// <param name="inChannels">Input channels; null for <see cref="DefaultInChannels"/>.</param>
    public long FilterCount(int? numClasses = null, int? inChannels = null)
    {
        if (Filters is { } known) return known;
        using var model = Build(numClasses ?? DefaultClasses, inChannels ?? DefaultInChannels);
        return model.parameters().Where(p => p.dim() == 4).Sum(p => p.shape[0]);
    }
}

/// <summary>
/// The architectures the library builds by name: the CIFAR-style ResNet-18 of the embedded default,
/// torchvision's ResNets, VGG-11/16/19 with and without BatchNorm, DenseNet-121 and Inception-v3. The paper's
/// four ImageNet models are resnet50, densenet121, vgg19 and inception_v3. Any other
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> can be profiled too (by the loop engine when its layers are not
/// Conv2d, BatchNorm2d or Linear); it just has no name here.
/// </summary>
public static class Architectures
{
    /// <summary>Every named architecture, in the order <c>saliency models</c> lists them.</summary>
    public static IReadOnlyList<Architecture> All { get; } =
    [
        new("resnet18-cifar", "CIFAR-style ResNet-18 (3x3 stem, no max-pool), w 16: the embedded default", 28,
            (classes, channels) => new ResNet(ResNetConfig.CifarResNet18(channels, 16, classes)), DefaultClasses: 10, DefaultInChannels: 1,
            BuildWithWidth: (classes, channels, width) => new ResNet(ResNetConfig.CifarResNet18(channels, width, classes))),
        .. new[] { "resnet18", "resnet34", "resnet50", "resnet101", "resnet152" }.Select(name =>
            new Architecture(name, $"torchvision {name.Replace("resnet", "ResNet-")}", 224, (classes, channels) => new ResNet(ResNetConfig.TorchVision(name, classes, channels)),
                BuildWithWidth: (classes, channels, width) => new ResNet(ResNetConfig.TorchVision(name, classes, channels) with { Width = width }))),
        .. new[] { 11, 16, 19 }.SelectMany(depth => new[] { false, true }.Select(batchNorm =>
            new Architecture($"vgg{depth}{(batchNorm ? "_bn" : "")}", $"torchvision VGG-{depth}{(batchNorm ? " with BatchNorm" : "")}", 224,
                (classes, channels) => new Vgg(depth, batchNorm, classes, channels)))),
        new("densenet121", "torchvision DenseNet-121", 224, (classes, channels) => new DenseNet(classes, channels)),
        new("inception_v3", "torchvision Inception-v3 with its auxiliary head", 299, (classes, channels) => new InceptionV3(classes, channels)),
        .. VitConfig.Names.Select(name => new Architecture(name, $"torchvision Vision Transformer {name.Replace("vit_", "").Replace('_', '/').ToUpperInvariant()}", 224,
            (classes, channels) => new VisionTransformer(VitConfig.Named(name, classes, channels)), Filters: VitConfig.Named(name).Hidden,
            Neurons: VitConfig.Named(name).Neurons, Heads: VitConfig.Named(name).HeadCount)),
        new("vit", "torchvision Vision Transformer of any size, read from its weights (give --heads); 768 filters at B width", 224,
            (classes, channels) => new VisionTransformer(VitConfig.Named("vit_b_16", classes, channels) with { Name = "vit" }), Filters: 768,
            Neurons: VitConfig.Named("vit_b_16").Neurons, Heads: VitConfig.Named("vit_b_16").HeadCount,
            BuildFromWeights: (weights, heads, source) => new VisionTransformer(VitConfig.FromWeights(weights, heads, source))),
        new("vit-tiny", "Vision Transformer for 28x28 (patch 4, width 64, 6 blocks of 4 heads, MLP 128): the second embedded model", 28,
            (classes, channels) => new VisionTransformer(VitConfig.Tiny(classes, channels)), DefaultClasses: 10, DefaultInChannels: 1,
            Filters: VitConfig.Tiny().Hidden, Neurons: VitConfig.Tiny().Neurons, Heads: VitConfig.Tiny().HeadCount),
        new("mlp", "MLP 784-256-128-10 (Linear + ReLU, no convolutions; any widths load from weights)", 28,
            (classes, channels) => new Mlp(channels, 28, [256, 128], classes), DefaultClasses: 10, DefaultInChannels: 1, Filters: 0,
            BuildFromWeights: (weights, _, source) => Mlp.FromWeights(weights, source), Neurons: 256 + 128, Heads: 0),
    ];

    /// <summary>The architecture called <paramref name="name"/>; an <see cref="ArgumentException"/> listing the known names otherwise.</summary>
    /// <param name="name">An architecture's name as listed in <see cref="All"/>, e.g. <c>resnet50</c> (case-sensitive).</param>
    public static Architecture Named(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"Unknown architecture '{name}'. Known: {string.Join(", ", All.Select(a => a.Name))}.");
}
