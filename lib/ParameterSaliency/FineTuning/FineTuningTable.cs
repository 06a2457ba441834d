using System.Globalization;
using System.Text;

namespace ParameterSaliency.FineTuning;

/// <summary>One row of Table 1 or 2: a sample and a choice, aggregated over its trials (the random seeds), mean ± sample std.</summary>
/// <param name="Sample">Index of the sample in the data set.</param>
/// <param name="TrueClass">Name of its true class y.</param>
/// <param name="PredictedClass">Name of the class predicted with the original weights.</param>
/// <param name="Choice">Filter choice of the trials.</param>
/// <param name="StepSize">Learning rate of the SGD step of the trials.</param>
/// <param name="Filters">Number of filters each step changed.</param>
/// <param name="Trials">Trials aggregated (one per random seed; 1 for the other choices).</param>
/// <param name="KMean">Mean K over the trials.</param>
/// <param name="KStd">Sample standard deviation of K (0 for one trial).</param>
/// <param name="BrokenMean">Mean number of neighbours broken.</param>
/// <param name="BrokenStd">Sample standard deviation of the neighbours broken (0 for one trial).</param>
/// <param name="DeltaMean">Mean ΔA in percentage points.</param>
/// <param name="DeltaStd">Sample standard deviation of ΔA in percentage points (0 for one trial).</param>
/// <param name="SampleCorrectedShare">Share of the trials that fixed the sample itself, in [0, 1].</param>
public sealed record FineTuningRow(int Sample, string TrueClass, string PredictedClass, FilterChoice Choice, double StepSize, int Filters, int Trials,
    double KMean, double KStd, double BrokenMean, double BrokenStd, double DeltaMean, double DeltaStd, double SampleCorrectedShare);

/// <summary>One filter choice at one step size, pooled over the samples (and the seeds): mean ± sample std over all its trials.</summary>
/// <param name="Choice">Filter choice of the trials.</param>
/// <param name="StepSize">Learning rate of the SGD step of the trials.</param>
/// <param name="Filters">Number of filters each step changed.</param>
/// <param name="Samples">Distinct samples pooled.</param>
/// <param name="Trials">Trials pooled (over samples and seeds).</param>
/// <param name="KMean">Mean K over the trials.</param>
/// <param name="KStd">Sample standard deviation of K (0 for one trial).</param>
/// <param name="BrokenMean">Mean number of neighbours broken.</param>
/// <param name="DeltaMean">Mean ΔA in percentage points.</param>
/// <param name="DeltaStd">Sample standard deviation of ΔA in percentage points (0 for one trial).</param>
/// <param name="SampleCorrectedShare">Share of the trials that fixed their sample, in [0, 1].</param>
public sealed record PooledRow(FilterChoice Choice, double StepSize, int Filters, int Samples, int Trials,
    double KMean, double KStd, double BrokenMean, double DeltaMean, double DeltaStd, double SampleCorrectedShare);

/// <summary>Table 1 or 2 of the paper rebuilt: rows per sample and choice; Markdown, CSV and HTML.</summary>
public sealed class FineTuningTable
{
    internal FineTuningTable(string title, IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<int> predictions, int neighbors, int k, int evaluationImages, IReadOnlyList<FineTuningTrial> trials,
        string units = "filters")
    {
        Title = title;
        Units = units;
        Neighbors = neighbors;
        K = k;
        EvaluationImages = evaluationImages;
        Trials = trials;
        Rows = trials.GroupBy(t => (t.Sample, t.Choice, t.StepSize)).Select(g =>
        {
            var items = g.ToArray();
            return new FineTuningRow(g.Key.Sample, classNames[labels[g.Key.Sample]], classNames[predictions[g.Key.Sample]], g.Key.Choice, g.Key.StepSize, items[0].FilterCount, items.Length,
                Mean(items, t => t.K), Std(items, t => t.K), Mean(items, t => t.Broken), Std(items, t => t.Broken),
                Mean(items, t => t.DeltaAccuracyPoints), Std(items, t => t.DeltaAccuracyPoints), Mean(items, t => t.SampleCorrected ? 1 : 0));
        }).ToArray();
    }

    /// <summary>"Table 1" or "Table 2".</summary>
    public string Title { get; }
    /// <summary>What the steps change: "filters" (the paper's), "neurons" or "heads".</summary>
    public string Units { get; }
    /// <summary>n, the neighbours K counts among (the sample included).</summary>
    public int Neighbors { get; }
    /// <summary>k of the subsets.</summary>
    public int K { get; }
    /// <summary>Images ΔA is measured on.</summary>
    public int EvaluationImages { get; }
    /// <summary>Every trial.</summary>
    public IReadOnlyList<FineTuningTrial> Trials { get; }
    /// <summary>The aggregated rows.</summary>
    public IReadOnlyList<FineTuningRow> Rows { get; }

    /// <summary>One row per choice and step size, pooled over the samples and seeds (ordered by choice, then step).</summary>
    public IReadOnlyList<PooledRow> Pooled() => Trials.GroupBy(t => (t.Choice, t.StepSize)).Select(g =>
    {
        var items = g.ToArray();
        return new PooledRow(g.Key.Choice, g.Key.StepSize, items[0].FilterCount, items.Select(t => t.Sample).Distinct().Count(), items.Length,
            Mean(items, t => t.K), Std(items, t => t.K), Mean(items, t => t.Broken),
            Mean(items, t => t.DeltaAccuracyPoints), Std(items, t => t.DeltaAccuracyPoints), Mean(items, t => t.SampleCorrected ? 1 : 0));
    }).OrderBy(p => p.Choice).ThenBy(p => p.StepSize).ToArray();

    /// <summary>The table as Markdown.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{Title}: one SGD step on one misclassified sample; K = of its {Neighbors} saliency neighbours (itself included) the number fixed by the step; broken = correct before, wrong after; ΔA on {EvaluationImages:N0} images, percentage points.\n\n"));
        text.Append($"| sample | true → predicted | {Units} | step | trials | K | broken | sample fixed | ΔA (points) |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in Rows)
            text.Append(CultureInfo.InvariantCulture, $"| {r.Sample} | {r.TrueClass} → {r.PredictedClass} | {Describe(r)} | {r.StepSize:G3} | {r.Trials} | {Format(r.KMean, r.KStd, r.Trials, "F1")} | {Format(r.BrokenMean, r.BrokenStd, r.Trials, "F1")} | {r.SampleCorrectedShare:P0} | {Format(r.DeltaMean, r.DeltaStd, r.Trials, "+0.00;-0.00;0.00")} |\n");
        return text.ToString();
    }

    /// <summary>The table as CSV, one line per row (means and sample standard deviations).</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("table,sample,true_class,predicted_class,choice,filters,step_size,trials,k_mean,k_std,broken_mean,broken_std,sample_fixed_share,delta_accuracy_points_mean,delta_accuracy_points_std\n");
        foreach (var r in Rows)
            text.Append(CultureInfo.InvariantCulture, $"{Title},{r.Sample},{r.TrueClass},{r.PredictedClass},{r.Choice},{r.Filters},{r.StepSize:R},{r.Trials},{r.KMean:F4},{r.KStd:F4},{r.BrokenMean:F4},{r.BrokenStd:F4},{r.SampleCorrectedShare:F4},{r.DeltaMean:F4},{r.DeltaStd:F4}\n");
        return text.ToString();
    }

    /// <summary>The filter choice of a row in words: "top-5 salient", "5 random", "all 1200".</summary>
    /// <param name="r">Row whose filter choice and filter count to describe.</param>
    public static string Describe(FineTuningRow r) => Describe(r.Choice, r.Filters);

    /// <summary>A filter choice of <paramref name="filters"/> filters in words: "top-5 salient", "5 random", "all 1200".</summary>
    /// <param name="choice">The filter choice.</param>
    /// <param name="filters">Number of filters it selects.</param>
    public static string Describe(FilterChoice choice, int filters) => choice switch
    {
        FilterChoice.TopSalient => $"top-{filters} salient",
        FilterChoice.LeastSalient => $"least-{filters} salient",
        FilterChoice.Random => $"{filters} random",
        _ => $"all {filters}",
    };

    /// <summary>A mean, with ± the standard deviation when there was more than one trial.</summary>
    /// <param name="mean">Mean to show, rounded to two decimals first (so −0 prints as 0).</param>
    /// <param name="std">Standard deviation shown after ±, with two decimals.</param>
    /// <param name="trials">Trials behind the mean; ± std is shown only when more than one.</param>
    /// <param name="format">Numeric format of the mean, e.g. "F1" or "+0.00;-0.00;0.00".</param>
    public static string Format(double mean, double std, int trials, string format)
    {
        // Round first: a negative value that rounds to zero would otherwise print as "-+0.00".
        double shown = Math.Round(mean, 2);
        if (shown == 0) shown = 0;
        string text = shown.ToString(format, CultureInfo.InvariantCulture);
        return trials > 1 ? $"{text} ± {std.ToString("F2", CultureInfo.InvariantCulture)}" : text;
    }

    static double Mean(FineTuningTrial[] items, Func<FineTuningTrial, double> value) => items.Average(value);

    static double Std(FineTuningTrial[] items, Func<FineTuningTrial, double> value)
    {
        if (items.Length < 2) return 0;
        double mean = items.Average(value);
        return Math.Sqrt(items.Sum(t => (value(t) - mean) * (value(t) - mean)) / (items.Length - 1));
    }

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();
}
