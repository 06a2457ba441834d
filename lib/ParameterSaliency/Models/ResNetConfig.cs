using System.Globalization;

namespace ParameterSaliency.Models;

/// <summary>Which ResNet stem a model uses.</summary>
public enum ResNetStem
{
    /// <summary>CIFAR style: one 3x3 convolution, stride 1, no max-pool (for 28x28 and 32x32 inputs).</summary>
    Cifar,
    /// <summary>TorchVision (ImageNet) style: 7x7 convolution, stride 2, then a 3x3 max-pool, stride 2.</summary>
    ImageNet,
}

/// <summary>Which residual block a ResNet stacks.</summary>
public enum ResNetBlock
{
    /// <summary>Two 3x3 convolutions (ResNet-18/34).</summary>
    Basic,
    /// <summary>1x1, 3x3, 1x1 convolutions with expansion 4 (ResNet-50 and deeper).</summary>
    Bottleneck,
}

/// <summary>
/// Everything needed to rebuild a ResNet from its weights file: architecture name, input
/// channels, base width w, number of classes. Stored in a safetensors file's <c>__metadata__</c>.
/// </summary>
/// <param name="Arch">Architecture name, e.g. <c>resnet18-cifar</c> or <c>resnet50</c>; also the module's name.</param>
/// <param name="Stem">CIFAR (3x3 convolution) or ImageNet (7x7 convolution and max-pool) stem.</param>
/// <param name="Block">Basic or bottleneck residual blocks.</param>
/// <param name="BlocksPerStage">Blocks in each of the four stages, e.g. [2, 2, 2, 2].</param>
/// <param name="InChannels">Input channels C.</param>
/// <param name="Width">Base width w: channels of the stem and the first stage (doubled at each later stage).</param>
/// <param name="NumClasses">Classes of the linear head <c>fc</c>.</param>
public sealed record ResNetConfig(string Arch, ResNetStem Stem, ResNetBlock Block, int[] BlocksPerStage, int InChannels, int Width, int NumClasses)
{
    /// <summary>CIFAR-style ResNet-18 (SPEC section 6); the workbook's default is 1 input channel, w = 16, 10 classes.</summary>
    /// <param name="inChannels">Input channels C (1 for Fashion-MNIST).</param>
    /// <param name="width">Base width w (16 for the default model).</param>
    /// <param name="numClasses">Classes of the head (10).</param>
    public static ResNetConfig CifarResNet18(int inChannels = 1, int width = 16, int numClasses = 10) =>
        new("resnet18-cifar", ResNetStem.Cifar, ResNetBlock.Basic, [2, 2, 2, 2], inChannels, width, numClasses);

    /// <summary>TorchVision's resnet18 layout (3-channel ImageNet stem, w = 64), so its weights load by name.</summary>
    /// <param name="numClasses">Classes of the head (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C (3 for RGB).</param>
    public static ResNetConfig TorchVisionResNet18(int numClasses = 1000, int inChannels = 3) =>
        new("resnet18", ResNetStem.ImageNet, ResNetBlock.Basic, [2, 2, 2, 2], inChannels, 64, numClasses);

    /// <summary>TorchVision's resnet50 layout (bottleneck blocks 3-4-6-3, w = 64).</summary>
    /// <param name="numClasses">Classes of the head (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C (3 for RGB).</param>
    public static ResNetConfig TorchVisionResNet50(int numClasses = 1000, int inChannels = 3) =>
        new("resnet50", ResNetStem.ImageNet, ResNetBlock.Bottleneck, [3, 4, 6, 3], inChannels, 64, numClasses);

    /// <summary>
    /// TorchVision's ResNet layouts by name: resnet18 and resnet34 (basic blocks 2-2-2-2, 3-4-6-3), resnet50,
    /// resnet101 and resnet152 (bottleneck blocks 3-4-6-3, 3-4-23-3, 3-8-36-3), all with w = 64.
    /// </summary>
    /// <param name="arch"><c>resnet18</c>, <c>resnet34</c>, <c>resnet50</c>, <c>resnet101</c> or <c>resnet152</c>.</param>
    /// <param name="numClasses">Classes of the head (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C (3 for RGB).</param>
    public static ResNetConfig TorchVision(string arch, int numClasses = 1000, int inChannels = 3) => arch switch
    {
        "resnet18" => TorchVisionResNet18(numClasses, inChannels),
        "resnet34" => new("resnet34", ResNetStem.ImageNet, ResNetBlock.Basic, [3, 4, 6, 3], inChannels, 64, numClasses),
        "resnet50" => TorchVisionResNet50(numClasses, inChannels),
        "resnet101" => new("resnet101", ResNetStem.ImageNet, ResNetBlock.Bottleneck, [3, 4, 23, 3], inChannels, 64, numClasses),
        "resnet152" => new("resnet152", ResNetStem.ImageNet, ResNetBlock.Bottleneck, [3, 8, 36, 3], inChannels, 64, numClasses),
        _ => throw new ArgumentException($"'{arch}' is not a torchvision ResNet (resnet18, resnet34, resnet50, resnet101, resnet152).", nameof(arch)),
    };

    /// <summary>The architectures a weights file may name in its <c>arch</c> metadata.</summary>
    public static IReadOnlyList<string> KnownArchitectures { get; } = ["resnet18-cifar", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"];

    /// <summary>Rebuilds a configuration from <c>arch</c>, <c>in_channels</c>, <c>width</c> and <c>num_classes</c> metadata.</summary>
    /// <param name="metadata">A weights file's <c>__metadata__</c>.</param>
    /// <param name="source">The file, for error messages.</param>
    public static ResNetConfig FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        string Get(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{source}: the metadata has no '{key}' entry, so the model cannot be rebuilt from the file alone.");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new InvalidDataException($"{source}: metadata '{key}' = '{Get(key)}' is not a positive integer.");

        string arch = Get("arch");
        int inChannels = GetInt("in_channels"), width = GetInt("width"), classes = GetInt("num_classes");
        var config = arch switch
        {
            "resnet18-cifar" => CifarResNet18(inChannels, width, classes),
            "resnet18" or "resnet34" or "resnet50" or "resnet101" or "resnet152" => TorchVision(arch, classes, inChannels) with { Width = width },
            _ => throw new InvalidDataException($"{source}: unknown arch '{arch}'; known: {string.Join(", ", KnownArchitectures)}."),
        };
        return config;
    }

    /// <summary>The metadata entries that <see cref="FromMetadata"/> reads back.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        ["arch"] = Arch,
        ["in_channels"] = InChannels.ToString(CultureInfo.InvariantCulture),
        ["width"] = Width.ToString(CultureInfo.InvariantCulture),
        ["num_classes"] = NumClasses.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Block expansion: output channels of a stage are stage width times this.</summary>
    public int Expansion => Block == ResNetBlock.Basic ? 1 : 4;
}
