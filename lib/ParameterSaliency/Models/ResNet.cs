using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// A ResNet whose parameter names and registration order are PyTorch's (conv1, bn1,
/// layer1.0.conv1, ..., layer2.0.downsample.0, ..., fc), so weights move between PyTorch and
/// TorchSharp by name and filter names match the reference implementation.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu = nn.ReLU(); // a module, watched by ReluKinks (as torchvision names it)
    private readonly MaxPool2d? maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    /// <summary>The configuration this model was built from.</summary>
    public ResNetConfig Config { get; }

    /// <summary>Builds an untrained ResNet; weights are initialised from the current torch seed.</summary>
    /// <param name="config">Stem, block type, blocks per stage, input channels, width w and classes.</param>
    public ResNet(ResNetConfig config) : base(config.Arch)
    {
        Config = config;
        int width = config.Width;
        if (config.Stem == ResNetStem.Cifar)
        {
            conv1 = nn.Conv2d(config.InChannels, width, 3, stride: 1, padding: 1, bias: false);
        }
        else
        {
            conv1 = nn.Conv2d(config.InChannels, width, 7, stride: 2, padding: 3, bias: false);
            maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        }
        bn1 = nn.BatchNorm2d(width);
        int inPlanes = width;
        layer1 = Stage(config, ref inPlanes, width, config.BlocksPerStage[0], 1);
        layer2 = Stage(config, ref inPlanes, width * 2, config.BlocksPerStage[1], 2);
        layer3 = Stage(config, ref inPlanes, width * 4, config.BlocksPerStage[2], 2);
        layer4 = Stage(config, ref inPlanes, width * 8, config.BlocksPerStage[3], 2);
        fc = nn.Linear(inPlanes, config.NumClasses);
        RegisterComponents();
        InitialiseLikeTorchVision();
        Saliency.ExactReference.Register(this, () => new ResNet(config));
    }

    static Sequential Stage(ResNetConfig config, ref int inPlanes, int planes, int blocks, int stride)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < blocks; i++)
        {
            nn.Module<Tensor, Tensor> block = config.Block == ResNetBlock.Basic
                ? new BasicBlock(inPlanes, planes, i == 0 ? stride : 1)
                : new BottleneckBlock(inPlanes, planes, i == 0 ? stride : 1);
            modules.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            inPlanes = planes * config.Expansion;
        }
        return nn.Sequential(modules);
    }

    void InitialiseLikeTorchVision()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    /// <summary>Logits for a batch [N, C, H, W].</summary>
    /// <param name="input">Images x [N, C, H, W], model-ready (normalised).</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Classify(Features(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The output of the last convolutional stage (<c>layer4</c>), [N, K, h, w]: what Grad-CAM weighs.</summary>
    /// <param name="input">Images x [N, C, H, W], model-ready (normalised).</param>
    public Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = relu.call(bn1.call(conv1.call(input)));
        if (maxpool is not null) x = maxpool.call(x);
        return layer4.call(layer3.call(layer2.call(layer1.call(x)))).MoveToOuterDisposeScope();
    }

    /// <summary>Logits from <see cref="Features"/>: global average pool, then the linear head.</summary>
    /// <param name="features">Output of <see cref="Features"/>, [N, K, h, w].</param>
    public Tensor Classify(Tensor features)
    {
        using var scope = NewDisposeScope();
        return fc.call(nn.functional.adaptive_avg_pool2d(features, 1).flatten(1)).MoveToOuterDisposeScope();
    }
}
