using System.Globalization;
using System.Text;

namespace ParameterSaliency.FineTuning;

/// <summary>One filter choice at one subset step, pooled over the samples (and the seeds): mean ± sample std over all its trials.</summary>
public sealed record StepSweepPoint(FilterChoice Choice, double StepSize, int Filters, int Samples, int Trials,
    double KMean, double KStd, double BrokenMean, double DeltaMean, double DeltaStd, double SampleCorrectedShare);

/// <summary>
/// K against the subset step for top-k, least-k and k random filters (<see cref="FineTuningExperiment.StepSweep"/>):
/// the per-sample rows in <see cref="Table"/>, pooled over samples in <see cref="Points"/>.
/// </summary>
public sealed class StepSweep
{
    internal StepSweep(FineTuningTable table)
    {
        Table = table;
        Points = table.Trials.GroupBy(t => (t.Choice, t.StepSize)).Select(g =>
        {
            var trials = g.ToArray();
            return new StepSweepPoint(g.Key.Choice, g.Key.StepSize, trials[0].FilterCount, trials.Select(t => t.Sample).Distinct().Count(), trials.Length,
                trials.Average(t => t.K), Std(trials.Select(t => (double)t.K)), trials.Average(t => t.Broken),
                trials.Average(t => t.DeltaAccuracyPoints), Std(trials.Select(t => t.DeltaAccuracyPoints)), trials.Average(t => t.SampleCorrected ? 1.0 : 0.0));
        }).OrderBy(p => p.Choice).ThenBy(p => p.StepSize).ToArray();
    }

    /// <summary>Every trial, aggregated per sample, choice and step (CSV: <see cref="FineTuningTable.ToCsv"/>).</summary>
    public FineTuningTable Table { get; }
    /// <summary>One point per choice and step, pooled over samples and seeds.</summary>
    public IReadOnlyList<StepSweepPoint> Points { get; }
    /// <summary>The step sizes swept, ascending.</summary>
    public IReadOnlyList<double> StepSizes => Points.Select(p => p.StepSize).Distinct().Order().ToArray();

    /// <summary>The pooled points as Markdown, one row per choice and step.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"K against the subset step, pooled over {Points.Max(p => p.Samples)} samples (and the random seeds): mean ± std over the trials; K of {Table.Neighbors} neighbours, ΔA on {Table.EvaluationImages:N0} images, percentage points.\n\n"));
        text.Append("| filters | step | samples | trials | K | broken | sample fixed | ΔA (points) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var p in Points)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {FineTuningTable.Describe(p.Choice, p.Filters)} | {p.StepSize:G3} | {p.Samples} | {p.Trials} | {FineTuningTable.Format(p.KMean, p.KStd, p.Trials, "F1")} | {p.BrokenMean:F1} | {p.SampleCorrectedShare:P0} | {FineTuningTable.Format(p.DeltaMean, p.DeltaStd, p.Trials, "+0.00;-0.00;0.00")} |\n");
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();

    static double Std(IEnumerable<double> values)
    {
        double[] items = values.ToArray();
        if (items.Length < 2) return 0;
        double mean = items.Average();
        return Math.Sqrt(items.Sum(v => (v - mean) * (v - mean)) / (items.Length - 1));
    }
}
