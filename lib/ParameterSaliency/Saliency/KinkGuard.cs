namespace ParameterSaliency.Saliency;

/// <summary>
/// What a <see cref="SaliencyProfiler"/> does with the images whose profile s(x, y) hangs on a ReLU input within float32
/// rounding of zero (whose gradient shares add up to more than <see cref="ReluKinks.FlipBudget"/>): whatever the CPU's
/// kernels, float32 may have put such an input on the wrong side, and a wrong mask moves the row by up to about the
/// input's gradient share.
/// </summary>
public enum KinkGuard
{
    /// <summary>
    /// The default: each such image goes through a float64 forward of the model's twin (<see cref="ExactReference"/>),
    /// and the rows float32 got wrong are recomputed under float64's masks (<see cref="SaliencyProfiles.Float64MaskRows"/>):
    /// every row within float32 rounding of float64. On the default model about 40-50% of a pass.
    /// </summary>
    Exact,

    /// <summary>
    /// No float64 forward: such rows stay in float32 and are listed in <see cref="SaliencyProfiles.UnsettledRows"/> with how
    /// far each could be from float64 (<see cref="SaliencyProfiles.UnsettledBounds"/>, row-relative L1). Watching the
    /// ReLUs costs about 10% of a pass on the default model.
    /// </summary>
    Flag,
}
