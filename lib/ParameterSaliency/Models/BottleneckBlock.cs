using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>ResNet bottleneck block (TorchVision v1.5: the stride sits on conv2); PyTorch names.</summary>
internal sealed class BottleneckBlock : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
    private readonly ReLU relu = nn.ReLU(); // watched by ReluKinks, as in BasicBlock

    public BottleneckBlock(int inPlanes, int planes, int stride) : base(nameof(BottleneckBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(planes * Expansion);
        downsample = Shortcut.IfNeeded(inPlanes, planes * Expansion, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = relu.call(bn1.call(conv1.call(input)));
        output = relu.call(bn2.call(conv2.call(output)));
        output = bn3.call(conv3.call(output));
        // Out of place: saliency engines capture intermediate tensors and differentiate with respect to them.
        output = output + (downsample is null ? input : downsample.call(input));
        return relu.call(output).MoveToOuterDisposeScope();
    }
}
