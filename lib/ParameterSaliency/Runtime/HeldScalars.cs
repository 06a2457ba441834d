using TorchSharp;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Constant TorchSharp Scalars held for the life of the process.
/// TorchSharp keeps no reference to a Scalar while libtorch reads it, so a temporary one (<c>t / 2</c>, <c>clamp_min(0)</c>)
/// can be finalised by a collection on another thread in the middle of the call: libtorch then reads freed memory.
/// The build's rule PS0001 (lib/ParameterSaliency.Analyzers) refuses such temporaries; constants come from here and
/// other values from <c>using Scalar name = value;</c>.
/// </summary>
static class HeldScalars
{
    /// <summary>The integer 0, e.g. for <c>clamp_min</c> and comparisons.</summary>
    public static readonly Scalar Zero = 0;

    /// <summary>The integer 1, e.g. for <c>1 − x</c>.</summary>
    public static readonly Scalar One = 1;

    /// <summary>The integer 2.</summary>
    public static readonly Scalar Two = 2;

    /// <summary>1e-300: the floor of a norm or a standard deviation that divides.</summary>
    public static readonly Scalar Tiny = 1e-300;

    /// <summary>255 (float): bytes to [0, 1].</summary>
    public static readonly Scalar ByteRange = 255f;
}
