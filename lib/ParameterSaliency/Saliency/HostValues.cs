using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// The values of a tensor read in place from C#: a contiguous tensor in host memory of the wanted type (the tensor itself
/// when it already is one, else a copy), and a span over its memory. Used where a check looks at a few entries of large
/// tensors (<see cref="ReluKinks"/>), which element-wise tensor operations would each sweep in full.
/// </summary>
internal static class HostValues
{
    /// <summary><paramref name="tensor"/> detached, in host memory, contiguous, of <paramref name="type"/>: the same storage when it already is, else a copy (the current dispose scope owns what is made here).</summary>
    public static Tensor Of(Tensor tensor, ScalarType type)
    {
        var values = tensor.detach();
        if (values.device_type != DeviceType.CPU) values = values.cpu();
        if (values.dtype != type) values = values.to(type);
        return values.contiguous();
    }

    /// <summary>The float32 values of <paramref name="hostTensor"/> (from <see cref="Of"/>), valid while it lives.</summary>
    public static ReadOnlySpan<float> Floats(Tensor hostTensor) => MemoryMarshal.Cast<byte, float>(hostTensor.bytes);

    /// <summary>The float64 values of <paramref name="hostTensor"/> (from <see cref="Of"/>), valid while it lives.</summary>
    public static ReadOnlySpan<double> Doubles(Tensor hostTensor) => MemoryMarshal.Cast<byte, double>(hostTensor.bytes);
}
