using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Saliency;

/// <summary>How far two computations of the same profiles are apart, row by row (image by image).</summary>
internal static class ProfileDifferences
{
    /// <summary>Per row, the relative L1 difference ||a − e||₁ / ||e||₁ in float64; NaN counts as infinite.</summary>
    public static double[] Rows(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        var errors = (actual.to(ScalarType.Float64) - e).abs().sum(1) / e.abs().sum(1).clamp_min(Tiny);
        return errors.nan_to_num(double.PositiveInfinity).data<double>().ToArray();
    }
}
