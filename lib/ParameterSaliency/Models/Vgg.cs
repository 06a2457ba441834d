using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// torchvision's VGG (Simonyan and Zisserman, 2015) with its names and parameter order: <c>features.&lt;i&gt;</c>
/// (3x3 convolutions with bias, optionally each followed by BatchNorm, ReLU, 2x2 max-pools), a 7x7 adaptive
/// average pool, and <c>classifier.0/3/6</c>. VGG-19 is one of the paper's four ImageNet models. ReLUs
/// are not in place, so hooks and the double backward see every intermediate tensor.
/// </summary>
public sealed class Vgg : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per convolution, 0 for a max-pool: torchvision's configurations A (11), D (16), E (19).</summary>
    static readonly Dictionary<int, int[]> Layers = new()
    {
        [11] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [16] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        [19] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    };

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    /// <summary>VGG-<paramref name="depth"/> (11, 16 or 19), with BatchNorm after each convolution when <paramref name="batchNorm"/>.</summary>
    /// <param name="depth">11, 16 or 19 (torchvision's configurations A, D and E).</param>
    /// <param name="batchNorm">Whether a BatchNorm follows each convolution (the <c>_bn</c> variants).</param>
    /// <param name="numClasses">Classes of the last linear layer (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C of the first convolution (3 for RGB).</param>
    public Vgg(int depth, bool batchNorm, int numClasses = 1000, int inChannels = 3) : base($"vgg{depth}{(batchNorm ? "_bn" : "")}")
    {
        if (!Layers.TryGetValue(depth, out var layers)) throw new ArgumentException($"VGG depth {depth} is not one of 11, 16, 19.", nameof(depth));
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = inChannels;
        foreach (int width in layers)
        {
            if (width == 0)
            {
                modules.Add((modules.Count.ToString(), nn.MaxPool2d(2, stride: 2)));
                continue;
            }
            modules.Add((modules.Count.ToString(), nn.Conv2d(channels, width, 3, padding: 1)));
            if (batchNorm) modules.Add((modules.Count.ToString(), nn.BatchNorm2d(width)));
            modules.Add((modules.Count.ToString(), nn.ReLU()));
            channels = width;
        }
        features = nn.Sequential(modules);
        avgpool = nn.AdaptiveAvgPool2d(7);
        classifier = nn.Sequential(
            ("0", nn.Linear(512 * 7 * 7, 4096)), ("1", nn.ReLU()), ("2", nn.Dropout(0.5)),
            ("3", nn.Linear(4096, 4096)), ("4", nn.ReLU()), ("5", nn.Dropout(0.5)),
            ("6", nn.Linear(4096, numClasses)));
        RegisterComponents();
    }

    /// <summary>Logits for a batch [N, C, H, W] (torchvision's weights expect 224x224).</summary>
    /// <param name="input">Images x [N, C, H, W], model-ready (normalised).</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.call(avgpool.call(features.call(input)).flatten(1)).MoveToOuterDisposeScope();
    }
}
