namespace ParameterSaliency.Saliency;

/// <summary>How per-parameter gradient magnitudes |∂L/∂θ_i| are aggregated into a saliency profile s(x, y) (paper §2.1, Appendix A.1).</summary>
public enum Aggregation
{
    /// <summary>One entry per parameter: s_i = |∂L/∂θ_i|.</summary>
    ParameterWise,
    /// <summary>One entry per convolution filter (output channel of every 4-D weight): the mean of |∂L/∂θ| over (in, kh, kw).</summary>
    FilterWise,
    /// <summary>One entry per parameter tensor: the mean of |∂L/∂θ| over the whole tensor (4-D tensors only unless <see cref="ProfilerOptions.LayerWiseAllTensors"/>).</summary>
    LayerWise,
    /// <summary>
    /// One entry per unit (SPEC §8): every convolution filter as <see cref="FilterWise"/>, and one per row of every 2-D
    /// weight (Linear layers, attention's packed <c>in_proj_weight</c>), the mean of |∂L/∂θ| over the row; the
    /// classifier (the last 2-D weight) is left out, as the filter-wise profile leaves out <c>fc</c>.
    /// </summary>
    NeuronWise,
    /// <summary>
    /// One entry per attention head (SPEC §8): head h of a module with width E and H heads (d = E / H) owns the q, k, v
    /// rows c·E + h·d + j of <c>in_proj_weight</c> and the columns h·d + j of <c>out_proj.weight</c>; s is the mean of |∂L/∂θ|
    /// over those 4·d·E weights.
    /// </summary>
    HeadWise,
}

/// <summary>What one entry of a unit-wise profile stands for.</summary>
public enum UnitKind
{
    /// <summary>An output channel of a 4-D convolution weight.</summary>
    Filter,
    /// <summary>A row of a 2-D weight: one output neuron of a Linear layer (or one q, k or v feature of an attention projection).</summary>
    Neuron,
    /// <summary>An attention head: its q, k, v rows of <c>in_proj_weight</c> and its columns of <c>out_proj.weight</c>.</summary>
    Head,
}

/// <summary>Which algorithm computes per-sample gradients; all give the same profiles within float32 rounding.</summary>
public enum ProfileEngine
{
    /// <summary>Batched when the model supports it and it measured no more than 10% slower than the loop on the first batch (normally much faster) (see <see cref="ProfilerOptions.Engine"/>), else the loop.</summary>
    Auto,
    /// <summary>One forward and backward pass per image: works for any model.</summary>
    Loop,
    /// <summary>One forward and one backward pass per batch; per-sample weight gradients from hooked layer inputs and output gradients (im2col + bmm, reduced in chunks).</summary>
    Batched,
}
