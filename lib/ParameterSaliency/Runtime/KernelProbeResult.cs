using System.Text.Json.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>
/// What one <see cref="KernelProbeCase"/> gave: the worst entry's error, as a share of the float64 reference's largest
/// entry, over the probe's two float32 calls; NaN when a value was not finite.
/// </summary>
/// <param name="Case">The case's name.</param>
/// <param name="Output">Error of the convolution's output.</param>
/// <param name="InputGradient">Error of the gradient with respect to the input (what profiles, heatmaps and training backpropagate).</param>
/// <param name="WeightGradient">Error of the gradient with respect to the weight.</param>
public sealed record KernelCaseResult(string Case, double Output, double InputGradient, double WeightGradient)
{
    /// <summary>The largest of the three errors (NaN if any is NaN).</summary>
    [JsonIgnore]
    public double Worst => new[] { Output, InputGradient, WeightGradient }.Any(double.IsNaN) ? double.NaN : Math.Max(Output, Math.Max(InputGradient, WeightGradient));
}

/// <summary>
/// One candidate's kernels probed in a child process: the oneDNN cap and the convolution backend, what every case gave, or why the
/// probe gave no answer (the child crashed, was killed by a signal, or hung).
/// </summary>
/// <param name="Isa">The oneDNN cap (<c>ALL</c>: none).</param>
/// <param name="Backend">The convolution backend.</param>
/// <param name="Cases">Each case's errors; empty when the probe failed.</param>
/// <param name="Failure">Why the probe gave no answer, or null.</param>
/// <param name="Seconds">How long the probe took, child process included.</param>
public sealed record KernelProbeResult(string Isa, ConvolutionBackend Backend, KernelCaseResult[] Cases, string? Failure, double Seconds)
{
    /// <summary>
    /// The largest error a right kernel may have. Right kernels gave at most 1.2e-5 (Intel Xeon, every case, every cap, every
    /// backend; oneDNN at most 6.3e-6); the faulty ones 6.6e-1 or NaN.
    /// </summary>
    public const double Tolerance = 1e-4;

    /// <summary>The candidate: <c>oneDNN ALL</c>, <c>oneDNN AVX2</c>, <c>no oneDNN</c>.</summary>
    [JsonIgnore]
    public string Kernels => CpuKernelPolicy.Describe(Isa, Backend);

    /// <summary>True when the probe ran and every case was within <see cref="Tolerance"/>.</summary>
    [JsonIgnore]
    public bool Right => Failure is null && Cases.Length == KernelProbeCase.All.Count && Cases.All(c => c.Worst <= Tolerance);

    /// <summary>The case with the largest error (NaN counts largest), or null when the probe failed.</summary>
    [JsonIgnore]
    public KernelCaseResult? WorstCase => Cases.OrderByDescending(c => double.IsNaN(c.Worst) ? double.PositiveInfinity : c.Worst).FirstOrDefault();

    /// <summary>One line: right or wrong, the worst case, or the failure.</summary>
    [JsonIgnore]
    public string Summary => Failure is not null ? $"{Kernels}: FAILED ({Failure})"
        : $"{Kernels}: {(Right ? "right" : "WRONG")}, worst {WorstCase?.Worst:E1} at {WorstCase?.Case} ({Seconds:F1} s)";
}
