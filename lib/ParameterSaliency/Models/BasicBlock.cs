using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>ResNet basic block: conv1, bn1, relu, conv2, bn2, plus the shortcut; PyTorch names.</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
    // A module, not nn.functional.relu: saliency engines watch ReLU inputs for entries float32 cannot settle (ReluKinks).
    private readonly ReLU relu = nn.ReLU();

    public BasicBlock(int inPlanes, int planes, int stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        downsample = Shortcut.IfNeeded(inPlanes, planes, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = relu.call(bn1.call(conv1.call(input)));
        output = bn2.call(conv2.call(output));
        // Out of place: saliency engines capture intermediate tensors and differentiate with respect to them.
        output = output + (downsample is null ? input : downsample.call(input));
        return relu.call(output).MoveToOuterDisposeScope();
    }
}

/// <summary>The 1x1 convolution + BatchNorm projection used when a block changes shape.</summary>
internal static class Shortcut
{
    public static Sequential? IfNeeded(int inPlanes, int outPlanes, int stride) =>
        stride == 1 && inPlanes == outPlanes
            ? null
            : nn.Sequential(
                ("0", nn.Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false)),
                ("1", nn.BatchNorm2d(outPlanes)));
}
