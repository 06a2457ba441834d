using System.Text;

namespace ParameterSaliency.Saliency;

/// <summary>One selected filter: its rank, profile index, name (e.g. <c>layer4.1.conv2.weight[93]</c>), layer, channel, raw saliency s and standardized ŝ.</summary>
/// <param name="Rank">1-based rank in its table.</param>
/// <param name="Index">Entry index in the profile.</param>
/// <param name="Name">Entry name, e.g. <c>layer4.1.conv2.weight[93]</c>.</param>
/// <param name="Layer">Module that owns the filter's weight, e.g. <c>layer4.1.conv2</c> (the entry name for layouts other than filter-wise).</param>
/// <param name="Channel">Output channel of the filter; −1 for layouts other than filter-wise.</param>
/// <param name="S">Raw saliency s of the entry.</param>
/// <param name="Z">Standardized saliency ŝ of the entry.</param>
public sealed record SalientFilter(int Rank, int Index, string Name, string Layer, int Channel, double S, double Z);

/// <summary>A ranked list of filters (or other units) that renders as a table (HTML in notebooks, text in the terminal).</summary>
/// <param name="title">What the table shows; printed as its first line.</param>
/// <param name="filters">The filters, in rank order.</param>
/// <param name="unit">What one entry is, for the column heading: filter (default), neuron, unit, head, ….</param>
public sealed class SalientFilterTable(string title, IReadOnlyList<SalientFilter> filters, string unit = "filter")
{
    /// <summary>What one entry is: filter, neuron, unit, head, ….</summary>
    public string Unit { get; } = unit;

    /// <summary>What the table shows.</summary>
    public string Title { get; } = title;
    /// <summary>The filters, in rank order.</summary>
    public IReadOnlyList<SalientFilter> Filters { get; } = filters;

    /// <summary>Profile indices of the filters, in rank order.</summary>
    public IReadOnlyList<int> Indices => Filters.Select(f => f.Index).ToArray();

    /// <summary>A fixed-width text table.</summary>
    public string ToText()
    {
        var text = new StringBuilder().AppendLine(Title);
        int width = Math.Max(6, Filters.Select(f => f.Name.Length).DefaultIfEmpty(6).Max());
        text.AppendLine($"{"rank",4}  {Unit.PadRight(width)}  {"index",5}  {"s",12}  {"z",9}");
        foreach (var f in Filters) text.AppendLine($"{f.Rank,4}  {f.Name.PadRight(width)}  {f.Index,5}  {f.S,12:E4}  {f.Z,9:F3}");
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToText();
}
