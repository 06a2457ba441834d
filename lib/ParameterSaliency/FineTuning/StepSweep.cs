using System.Globalization;
using System.Text;

namespace ParameterSaliency.FineTuning;

/// <summary>
/// K against the subset step for top-k, least-k and k random filters (<see cref="FineTuningExperiment.StepSweep"/>):
/// the per-sample rows in <see cref="Table"/>, pooled over samples in <see cref="Points"/>.
/// </summary>
public sealed class StepSweep
{
    internal StepSweep(FineTuningTable table)
    {
        Table = table;
        Points = table.Pooled();
    }

    /// <summary>Every trial, aggregated per sample, choice and step (CSV: <see cref="FineTuningTable.ToCsv"/>).</summary>
    public FineTuningTable Table { get; }
    /// <summary>One point per choice and step, pooled over samples and seeds.</summary>
    public IReadOnlyList<PooledRow> Points { get; }
    /// <summary>The step sizes swept, ascending.</summary>
    public IReadOnlyList<double> StepSizes => Points.Select(p => p.StepSize).Distinct().Order().ToArray();

    /// <summary>The column heads of the pooled table (Markdown and HTML).</summary>
    public static IReadOnlyList<string> Columns { get; } = ["filters", "step", "samples", "trials", "K", "broken", "sample fixed", "ΔA (points)"];

    /// <summary>One pooled point as the texts of <see cref="Columns"/>.</summary>
    /// <param name="p">Pooled point to render.</param>
    public static string[] Cells(PooledRow p) =>
    [
        FineTuningTable.Describe(p.Choice, p.Filters), p.StepSize.ToString("G3", CultureInfo.InvariantCulture), p.Samples.ToString(CultureInfo.InvariantCulture),
        p.Trials.ToString(CultureInfo.InvariantCulture), FineTuningTable.Format(p.KMean, p.KStd, p.Trials, "F1"), p.BrokenMean.ToString("F1", CultureInfo.InvariantCulture),
        p.SampleCorrectedShare.ToString("P0", CultureInfo.InvariantCulture), FineTuningTable.Format(p.DeltaMean, p.DeltaStd, p.Trials, "+0.00;-0.00;0.00"),
    ];

    /// <summary>The pooled points as Markdown, one row per choice and step.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"K against the subset step, pooled over {Points.Max(p => p.Samples)} samples (and the random seeds): mean ± std over the trials; K of {Table.Neighbors} neighbours, ΔA on {Table.EvaluationImages:N0} images, percentage points.\n\n"));
        text.Append("| ").Append(string.Join(" | ", Columns)).Append(" |\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", Columns.Count - 1))).Append('\n');
        foreach (var p in Points) text.Append("| ").Append(string.Join(" | ", Cells(p))).Append(" |\n");
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();
}
