using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// torchvision's DenseNet-121 (Huang et al., 2017) with its names and parameter order: <c>features.conv0</c>,
/// <c>norm0</c>, four <c>denseblock&lt;i&gt;.denselayer&lt;j&gt;</c> (BN, ReLU, 1x1 conv to 4·32 channels, BN, ReLU,
/// 3x3 conv to 32) joined by <c>transition&lt;i&gt;</c> (BN, ReLU, 1x1 conv halving the channels, 2x2 average
/// pool), <c>norm5</c>, and <c>classifier</c>. One of the paper's four ImageNet models. Features are
/// concatenated, never updated in place, so hooks and the double backward see every intermediate tensor.
/// </summary>
public sealed class DenseNet : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Linear classifier;
    private readonly ReLU relu = nn.ReLU(); // the final ReLU, a module watched by ReluKinks

    /// <summary>
    /// A DenseNet with torchvision's parameters: by default DenseNet-121 (growth rate 32, blocks of 6, 12, 24 and
    /// 16 layers, 64 initial features, bottleneck size 4); others as torchvision's <c>DenseNet(growth_rate,
    /// block_config, num_init_features, bn_size)</c> builds them.
    /// </summary>
    /// <param name="numClasses">Classes of the linear classifier (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C of <c>conv0</c> (3 for RGB).</param>
    /// <param name="growth">Growth rate: channels each dense layer adds (32).</param>
    /// <param name="blocks">Dense layers per block; null for DenseNet-121's 6, 12, 24, 16.</param>
    /// <param name="initialFeatures">Output channels of <c>conv0</c> (64).</param>
    /// <param name="bottleneck">Bottleneck size: the 1x1 convolution outputs bottleneck·growth channels (4).</param>
    public DenseNet(int numClasses = 1000, int inChannels = 3, int growth = 32, int[]? blocks = null, int initialFeatures = 64, int bottleneck = 4) : base("densenet")
    {
        blocks ??= [6, 12, 24, 16];
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv0", nn.Conv2d(inChannels, initialFeatures, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", nn.BatchNorm2d(initialFeatures)),
            ("relu0", nn.ReLU()),
            ("pool0", nn.MaxPool2d(3, stride: 2, padding: 1)),
        };
        int channels = initialFeatures;
        for (int i = 0; i < blocks.Length; i++)
        {
            modules.Add(($"denseblock{i + 1}", new DenseBlock(blocks[i], channels, growth, bottleneck)));
            channels += blocks[i] * growth;
            if (i == blocks.Length - 1) continue;
            modules.Add(($"transition{i + 1}", nn.Sequential(
                ("norm", nn.BatchNorm2d(channels)), ("relu", nn.ReLU()),
                ("conv", nn.Conv2d(channels, channels / 2, 1, bias: false)), ("pool", nn.AvgPool2d(2, stride: 2)))));
            channels /= 2;
        }
        modules.Add(("norm5", nn.BatchNorm2d(channels)));
        features = nn.Sequential(modules);
        classifier = nn.Linear(channels, numClasses);
        RegisterComponents();
    }

    /// <summary>Logits for a batch [N, C, H, W] (torchvision's weights expect 224x224).</summary>
    /// <param name="input">Images x [N, C, H, W], model-ready (normalised).</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = relu.call(features.call(input));
        return classifier.call(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)).MoveToOuterDisposeScope();
    }
}

/// <summary>A dense block: each <c>denselayer&lt;j&gt;</c> sees the concatenation of the block's input and every earlier layer's output.</summary>
internal sealed class DenseBlock : nn.Module<Tensor, Tensor>
{
    readonly List<DenseLayer> layers = [];

    public DenseBlock(int count, int inputChannels, int growth, int bottleneck) : base(nameof(DenseBlock))
    {
        for (int j = 0; j < count; j++)
        {
            var layer = new DenseLayer(inputChannels + j * growth, growth, bottleneck);
            layers.Add(layer);
            register_module($"denselayer{j + 1}", layer);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var collected = new List<Tensor> { input };
        foreach (var layer in layers) collected.Add(layer.call(cat(collected, 1)));
        return cat(collected, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>norm1, relu1, conv1 (1x1, bottleneck·growth channels), norm2, relu2, conv2 (3x3, growth channels).</summary>
internal sealed class DenseLayer : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm2d norm1;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d norm2;
    private readonly Conv2d conv2;
    private readonly ReLU relu1 = nn.ReLU(), relu2 = nn.ReLU(); // modules, as torchvision's, watched by ReluKinks

    public DenseLayer(int inputChannels, int growth, int bottleneck) : base(nameof(DenseLayer))
    {
        norm1 = nn.BatchNorm2d(inputChannels);
        conv1 = nn.Conv2d(inputChannels, bottleneck * growth, 1, bias: false);
        norm2 = nn.BatchNorm2d(bottleneck * growth);
        conv2 = nn.Conv2d(bottleneck * growth, growth, 3, padding: 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv1.call(relu1.call(norm1.call(input)));
        return conv2.call(relu2.call(norm2.call(x))).MoveToOuterDisposeScope();
    }
}
