using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>One convolution filter: the output channel <see cref="Channel"/> of the 4-D weight <see cref="Parameter"/>, at <see cref="Index"/> in the filter-wise profile.</summary>
/// <param name="Index">Position of the filter in the filter-wise profile.</param>
/// <param name="Parameter">Name of the 4-D weight in <c>named_parameters()</c>, e.g. <c>layer2.0.conv1.weight</c>.</param>
/// <param name="Channel">Output channel of that weight (index along its first dimension).</param>
public sealed record FilterInfo(int Index, string Parameter, int Channel)
{
    /// <summary>Stable name, e.g. <c>layer2.0.conv1.weight[17]</c>.</summary>
    public string Name => $"{Parameter}[{Channel}]";

    /// <summary>The module that owns the weight, e.g. <c>layer2.0.conv1</c>.</summary>
    public string Layer => Parameter.EndsWith(".weight", StringComparison.Ordinal) ? Parameter[..^".weight".Length] : Parameter;
}

/// <summary>A parameter tensor's place in a profile: entries [Offset, Offset + Length).</summary>
/// <param name="ParameterIndex">Index of the tensor among all of the model's <c>named_parameters()</c>, contributing or not.</param>
/// <param name="Parameter">Name of the tensor, e.g. <c>layer1.0.conv1.weight</c>.</param>
/// <param name="Shape">Shape of the tensor.</param>
/// <param name="Offset">First profile entry of the segment.</param>
/// <param name="Length">Number of entries: the tensor's element count (parameter-wise), its output channels (filter-wise) or 1 (layer-wise).</param>
public sealed record ProfileSegment(int ParameterIndex, string Parameter, long[] Shape, int Offset, int Length);

/// <summary>
/// What each entry of a saliency profile s(x, y) means for one model and aggregation: the
/// contributing parameter tensors in <c>named_parameters()</c> order and, for the filter-wise
/// profile, every filter's name.
/// </summary>
public sealed class ProfileLayout
{
    ProfileLayout(Aggregation aggregation, IReadOnlyList<ProfileSegment> segments, IReadOnlyList<FilterInfo> filters)
    {
        Aggregation = aggregation;
        Segments = segments;
        Filters = filters;
        Length = segments.Count == 0 ? 0 : segments[^1].Offset + segments[^1].Length;
    }

    /// <summary>The aggregation this layout describes.</summary>
    public Aggregation Aggregation { get; }
    /// <summary>Contributing parameters, in registration order.</summary>
    public IReadOnlyList<ProfileSegment> Segments { get; }
    /// <summary>Every filter (filter-wise layouts only; empty otherwise).</summary>
    public IReadOnlyList<FilterInfo> Filters { get; }
    /// <summary>Number of entries of a profile.</summary>
    public int Length { get; }

    /// <summary>Name of entry <paramref name="index"/>: a filter name, a tensor name, or <c>tensor[flat index]</c>.</summary>
    /// <param name="index">Entry index in [0, <see cref="Length"/>).</param>
    public string EntryName(int index)
    {
        if (Aggregation == Aggregation.FilterWise) return Filters[index].Name;
        var segment = Segments.Last(s => s.Offset <= index);
        return Aggregation == Aggregation.LayerWise ? segment.Parameter : $"{segment.Parameter}[{index - segment.Offset}]";
    }

    /// <summary>Entry names, all of them (not for parameter-wise layouts of large models).</summary>
    public IReadOnlyList<string> EntryNames => Enumerable.Range(0, Length).Select(EntryName).ToArray();

    /// <summary>The layout of <paramref name="model"/>'s profiles; throws if the model has no convolution filters and the aggregation needs them.</summary>
    /// <param name="model">Model whose <c>named_parameters()</c>, in order, define the entries.</param>
    /// <param name="aggregation">How |∂L/∂θ| is aggregated into entries.</param>
    /// <param name="layerWiseAllTensors">For <see cref="Aggregation.LayerWise"/>: one entry for every parameter tensor, not only the 4-D ones (default false).</param>
    public static ProfileLayout For(nn.Module model, Aggregation aggregation, bool layerWiseAllTensors = false)
    {
        var segments = new List<ProfileSegment>();
        var filters = new List<FilterInfo>();
        int offset = 0, index = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool isFilterBank = parameter.dim() == 4;
            int length = aggregation switch
            {
                Aggregation.ParameterWise => checked((int)parameter.numel()),
                Aggregation.FilterWise => isFilterBank ? (int)parameter.shape[0] : 0,
                _ => isFilterBank || layerWiseAllTensors ? 1 : 0,
            };
            if (length > 0)
            {
                segments.Add(new ProfileSegment(index, name, parameter.shape, offset, length));
                if (aggregation == Aggregation.FilterWise)
                    for (int c = 0; c < length; c++) filters.Add(new FilterInfo(offset + c, name, c));
                offset += length;
            }
            index++;
        }
        if (segments.Count == 0)
            throw new ArgumentException(aggregation == Aggregation.ParameterWise
                ? "The model has no parameters."
                : "The model has no convolution layers (no 4-D parameter): filter-wise and layer-wise saliency need at least one.");
        return new ProfileLayout(aggregation, segments, filters);
    }

    /// <summary>Reduces per-sample gradients of one segment's tensor, [N, *shape], to that segment's entries [N, Length].</summary>
    internal Tensor Reduce(ProfileSegment segment, Tensor perSampleGradient)
    {
        var magnitude = perSampleGradient.abs();
        long samples = perSampleGradient.shape[0];
        return Aggregation switch
        {
            Aggregation.ParameterWise => magnitude.reshape(samples, segment.Length),
            Aggregation.FilterWise => magnitude.reshape(samples, segment.Length, -1).mean([2]),
            _ => magnitude.reshape(samples, -1).mean([1], keepdim: true),
        };
    }
}
