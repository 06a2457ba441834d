using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// One unit of a unit-wise profile: a convolution filter (the output channel <see cref="Channel"/> of the 4-D weight
/// <see cref="Parameter"/>), a neuron (row <see cref="Channel"/> of a 2-D weight) or an attention head (head
/// <see cref="Channel"/> of the module owning the <c>in_proj_weight</c> <see cref="Parameter"/>), at <see cref="Index"/> in the profile s.
/// </summary>
/// <param name="Index">Position of the unit in the profile.</param>
/// <param name="Parameter">Name of its weight in <c>named_parameters()</c>, e.g. <c>layer2.0.conv1.weight</c> (for a head, the module's <c>in_proj_weight</c>).</param>
/// <param name="Channel">Output channel (filter), row (neuron) or head index.</param>
/// <param name="Kind">What the unit is; a filter unless told.</param>
public sealed record FilterInfo(int Index, string Parameter, int Channel, UnitKind Kind = UnitKind.Filter)
{
    /// <summary>Stable name, e.g. <c>layer2.0.conv1.weight[17]</c>, <c>encoder.layers.encoder_layer_0.mlp.0.weight[5]</c> or <c>encoder.layers.encoder_layer_3.self_attention.head[2]</c>.</summary>
    public string Name => Kind == UnitKind.Head ? $"{Layer}.head[{Channel}]" : $"{Parameter}[{Channel}]";

    /// <summary>The module that owns the weight, e.g. <c>layer2.0.conv1</c> or <c>encoder.layers.encoder_layer_3.self_attention</c>.</summary>
    public string Layer => Parameter.LastIndexOf('.') is var dot and > 0 && Parameter[(dot + 1)..] is "weight" or "in_proj_weight" ? Parameter[..dot] : Parameter;
}

/// <summary>A parameter tensor's place in a profile: entries [Offset, Offset + Length).</summary>
/// <param name="ParameterIndex">Index of the tensor among all of the model's <c>named_parameters()</c>, contributing or not.</param>
/// <param name="Parameter">Name of the tensor, e.g. <c>layer1.0.conv1.weight</c>.</param>
/// <param name="Shape">Shape of the tensor.</param>
/// <param name="Offset">First profile entry of the segment.</param>
/// <param name="Length">Number of entries: the tensor's element count (parameter-wise), its output channels (filter-wise), rows (neuron-wise), heads (head-wise) or 1 (layer-wise).</param>
public sealed record ProfileSegment(int ParameterIndex, string Parameter, long[] Shape, int Offset, int Length)
{
    /// <summary>For a head-wise segment (whose <see cref="Parameter"/> is an <c>in_proj_weight</c>): the index and name of the same module's <c>out_proj.weight</c>, whose columns the heads share; null otherwise.</summary>
    public (int ParameterIndex, string Parameter)? OutProjection { get; init; }
}

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
        ContributingParameters = segments.SelectMany(s => s.OutProjection is { } o ? new[] { s.ParameterIndex, o.ParameterIndex } : [s.ParameterIndex]).Distinct().ToArray();
        contributingPosition = ContributingParameters.Select((parameter, i) => (parameter, i)).ToDictionary(p => p.parameter, p => p.i);
    }

    /// <summary>The aggregation this layout describes.</summary>
    public Aggregation Aggregation { get; }
    /// <summary>Contributing parameters, in registration order.</summary>
    public IReadOnlyList<ProfileSegment> Segments { get; }
    /// <summary>Every unit, in profile order: the filters of a filter-wise layout, the filters and neurons of a neuron-wise one, the heads of a head-wise one; empty for parameter-wise and layer-wise layouts.</summary>
    public IReadOnlyList<FilterInfo> Filters { get; }
    /// <summary>Whether each entry is a unit (a filter, neuron or head): filter-, neuron- and head-wise layouts, the ones ranking, neighbours, heatmaps and fine-tuning work on.</summary>
    public bool IsUnitWise => Aggregation is Aggregation.FilterWise or Aggregation.NeuronWise or Aggregation.HeadWise;

    /// <summary>What one entry is called, in the singular: filter, neuron, head, unit (a neuron-wise layout mixes filters and neurons), parameter or layer.</summary>
    public string EntryNoun => Aggregation switch
    {
        Aggregation.FilterWise => "filter",
        Aggregation.NeuronWise => Filters.All(f => f.Kind == UnitKind.Neuron) ? "neuron" : "unit",
        Aggregation.HeadWise => "head",
        Aggregation.ParameterWise => "parameter",
        _ => "layer",
    };

    /// <summary>Number of entries of a profile.</summary>
    public int Length { get; }

    /// <summary>Name of entry <paramref name="index"/>: a filter name, a tensor name, or <c>tensor[flat index]</c>.</summary>
    /// <param name="index">Entry index in [0, <see cref="Length"/>).</param>
    public string EntryName(int index)
    {
        if (Filters.Count > 0) return Filters[index].Name;
        var segment = Segments.Last(s => s.Offset <= index);
        return Aggregation == Aggregation.LayerWise ? segment.Parameter : $"{segment.Parameter}[{index - segment.Offset}]";
    }

    /// <summary>Entry names, all of them (not for parameter-wise layouts of large models).</summary>
    public IReadOnlyList<string> EntryNames => Enumerable.Range(0, Length).Select(EntryName).ToArray();

    /// <summary>The layout of <paramref name="model"/>'s profiles; throws if the model has none of the units the aggregation needs.</summary>
    /// <param name="model">Model whose <c>named_parameters()</c>, in order, define the entries.</param>
    /// <param name="aggregation">How |∂L/∂θ| is aggregated into entries.</param>
    /// <param name="layerWiseAllTensors">For <see cref="Aggregation.LayerWise"/>: one entry for every parameter tensor, not only the 4-D ones (default false).</param>
    public static ProfileLayout For(nn.Module model, Aggregation aggregation, bool layerWiseAllTensors = false)
    {
        var parameters = model.named_parameters().ToArray();
        int classifier = Array.FindLastIndex(parameters, p => p.parameter.dim() == 2);
        var attention = aggregation == Aggregation.HeadWise ? AttentionModules(model, parameters) : [];
        var segments = new List<ProfileSegment>();
        var units = new List<FilterInfo>();
        int offset = 0;
        for (int index = 0; index < parameters.Length; index++)
        {
            var (name, parameter) = parameters[index];
            long dimensions = parameter.dim();
            var head = attention.FirstOrDefault(a => a.InProjection == index);
            (int length, UnitKind? kind) = aggregation switch
            {
                Aggregation.ParameterWise => (checked((int)parameter.numel()), null),
                Aggregation.FilterWise => dimensions == 4 ? ((int)parameter.shape[0], UnitKind.Filter) : (0, null),
                Aggregation.NeuronWise => dimensions == 4 ? ((int)parameter.shape[0], UnitKind.Filter)
                    : dimensions == 2 && index != classifier ? ((int)parameter.shape[0], UnitKind.Neuron) : (0, (UnitKind?)null),
                Aggregation.HeadWise => head.Heads > 0 ? (head.Heads, UnitKind.Head) : (0, null),
                _ => (dimensions == 4 || layerWiseAllTensors ? 1 : 0, null),
            };
            if (length == 0) continue;
            segments.Add(new ProfileSegment(index, name, parameter.shape, offset, length)
            {
                OutProjection = head.Heads > 0 ? (head.OutProjection, parameters[head.OutProjection].name) : null,
            });
            if (kind is UnitKind unit)
                for (int c = 0; c < length; c++) units.Add(new FilterInfo(offset + c, name, c, unit));
            offset += length;
        }
        if (segments.Count == 0)
            throw new ArgumentException(aggregation switch
            {
                Aggregation.ParameterWise => "The model has no parameters.",
                Aggregation.NeuronWise => "The model has no units: no convolution filters and no 2-D weight besides its classifier.",
                Aggregation.HeadWise => "The model has no attention layers (no module with in_proj_weight and out_proj, such as a Vision Transformer's self_attention): head-wise saliency needs them.",
                _ => "The model has no convolution layers (no 4-D parameter): filter-wise and layer-wise saliency need at least one; use Aggregation.NeuronWise for a model of Linear layers.",
            });
        return new ProfileLayout(aggregation, segments, units);
    }

    /// <summary>
    /// The weights unit <paramref name="entry"/> owns, as slices (parameter index, dimension, index along it): a filter's
    /// or a neuron's row of its weight (dimension 0); a head's d·3 rows of <c>in_proj_weight</c> (dimension 0) and d
    /// columns of <c>out_proj.weight</c> (dimension 1). Fine-tuning a unit changes exactly these (SPEC §8).
    /// </summary>
    internal IEnumerable<(int ParameterIndex, int Dimension, long Index)> WeightsOf(int entry)
    {
        if (Filters.Count == 0) throw new InvalidOperationException($"A {Aggregation} profile has no units: fine-tuning takes filters, neurons or heads.");
        var unit = Filters[entry];
        var segment = Segments.Last(s => s.Offset <= entry);
        if (unit.Kind != UnitKind.Head)
        {
            yield return (segment.ParameterIndex, 0, unit.Channel);
            yield break;
        }
        long width = segment.Shape[1], perHead = width / segment.Length;
        for (long part = 0; part < 3; part++)
            for (long j = 0; j < perHead; j++)
                yield return (segment.ParameterIndex, 0, part * width + unit.Channel * perHead + j);
        for (long j = 0; j < perHead; j++)
            yield return (segment.OutProjection!.Value.ParameterIndex, 1, unit.Channel * perHead + j);
    }

    /// <summary>Every multi-head attention module: the indices of its <c>in_proj_weight</c> and <c>out_proj.weight</c> among the parameters, and its heads.</summary>
    static (int InProjection, int OutProjection, int Heads)[] AttentionModules(nn.Module model, (string name, Parameter parameter)[] parameters)
    {
        var indexOf = parameters.Select((p, i) => (p.name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        return model.named_modules()
            .Where(m => m.module is Models.SelfAttention)
            .Select(m => (Prefix: m.name.Length == 0 ? "" : m.name + ".", ((Models.SelfAttention)m.module).Heads))
            .Where(m => indexOf.ContainsKey(m.Prefix + "in_proj_weight") && indexOf.ContainsKey(m.Prefix + "out_proj.weight"))
            .Select(m => (indexOf[m.Prefix + "in_proj_weight"], indexOf[m.Prefix + "out_proj.weight"], m.Heads))
            .ToArray();
    }

    /// <summary>Indices (in <c>named_parameters()</c> order) of every tensor a profile reads: the segments' own and, for heads, their out_proj weights; each once.</summary>
    internal IReadOnlyList<int> ContributingParameters { get; }

    /// <summary>
    /// The whole profile [N, Length] from per-sample gradients [N, *shape] of the tensors of <see cref="ContributingParameters"/>,
    /// in that order: every segment through <see cref="Reduce"/>.
    /// </summary>
    internal Tensor ReduceAll(IReadOnlyList<Tensor> perSampleGradients) =>
        cat(Segments.Select(segment => Reduce(segment, perSampleGradients[contributingPosition[segment.ParameterIndex]],
            segment.OutProjection is { } o ? perSampleGradients[contributingPosition[o.ParameterIndex]] : null)).ToArray(), 1);

    readonly Dictionary<int, int> contributingPosition;

    /// <summary>
    /// Reduces per-sample gradients of one segment's tensor, [N, *shape], to that segment's entries [N, Length]: the one
    /// reduction of every engine for every parameter but convolution weights (<see cref="PerSampleConvolution"/> reduces
    /// those chunk by chunk the same way). A head-wise segment also takes the per-sample gradients [N, E, E] of its
    /// <see cref="ProfileSegment.OutProjection"/>.
    /// </summary>
    internal Tensor Reduce(ProfileSegment segment, Tensor perSampleGradient, Tensor? outProjectionGradient = null)
    {
        var magnitude = perSampleGradient.abs();
        long samples = perSampleGradient.shape[0];
        switch (Aggregation)
        {
            case Aggregation.ParameterWise:
                return magnitude.reshape(samples, segment.Length);
            case Aggregation.FilterWise or Aggregation.NeuronWise:
                return magnitude.reshape(samples, segment.Length, -1).mean([2]);
            case Aggregation.HeadWise:
            {
                if (outProjectionGradient is null) throw new InvalidOperationException($"the heads of {segment.Parameter} need out_proj's gradient too");
                long width = segment.Shape[1], heads = segment.Length, perHead = width / heads;
                var queryKeyValueRows = magnitude.reshape(samples, 3, heads, perHead * width).sum([1, 3]);
                var outputColumns = outProjectionGradient.abs().reshape(samples, width, heads, perHead).sum([1, 3]);
                using Scalar entries = 4.0 * perHead * width;
                return (queryKeyValueRows + outputColumns) / entries;
            }
            default:
                return magnitude.reshape(samples, -1).mean([1], keepdim: true);
        }
    }
}
