namespace ParameterSaliency.Trust;

/// <summary>
/// One summarised measurement, a row of <c>sanity.csv</c>: the mean of a metric over images with its 95% bootstrap
/// interval. <paramref name="Step"/> counts the layers randomised from the top (0: the trained model) in the randomisation
/// tests, the point of the curve in deletion and insertion, and is 0 elsewhere.
/// </summary>
/// <param name="Test">The test, e.g. <c>model_randomisation_cascading</c>.</param>
/// <param name="Method">The explanation method's name.</param>
/// <param name="Step">See above.</param>
/// <param name="Metric">The metric (spearman, spearman_abs, ssim, topk_overlap, empr, auc, hit_rate, rra, rma, ...).</param>
/// <param name="Value">Mean over the images that have a value (NaN ones, e.g. the rank correlation of a constant map, left out).</param>
/// <param name="CiLow">2.5th percentile of 1,000 bootstrap means (seeded).</param>
/// <param name="CiHigh">97.5th percentile.</param>
/// <param name="Images">Images with a value.</param>
public sealed record TrustRow(string Test, string Method, int Step, string Metric, double Value, double CiLow, double CiHigh, int Images);

/// <summary>One image's value of one measurement, a row of <c>images.csv</c>.</summary>
/// <param name="Test">The test.</param>
/// <param name="Method">The method's name.</param>
/// <param name="Step">As in <see cref="TrustRow.Step"/>.</param>
/// <param name="Metric">The metric.</param>
/// <param name="Image">The image's index in its data set.</param>
/// <param name="Value">Its value (NaN when undefined).</param>
public sealed record TrustImageValue(string Test, string Method, int Step, string Metric, int Image, double Value);

/// <summary>Collects the measurements of a sanity run, per image and summarised, with seeded bootstrap intervals.</summary>
/// <param name="seed">Seed of the bootstrap resampling (each row draws from its own generator seeded by it and the row's number).</param>
public sealed class TrustMeasurements(int seed = 0)
{
    readonly List<TrustRow> rows = [];
    readonly List<TrustImageValue> imageValues = [];

    /// <summary>Bootstrap resamples per interval.</summary>
    public const int Resamples = 1000;

    /// <summary>The summarised rows, in the order they were measured.</summary>
    public IReadOnlyList<TrustRow> Rows => rows;

    /// <summary>Every image's value.</summary>
    public IReadOnlyList<TrustImageValue> ImageValues => imageValues;

    /// <summary>Records one metric over images and returns its summary row.</summary>
    /// <param name="test">The test.</param>
    /// <param name="method">The method's name.</param>
    /// <param name="step">As in <see cref="TrustRow.Step"/>.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="images">Index of each image in its data set.</param>
    /// <param name="values">Each image's value, in the same order (NaN: undefined, left out of the mean).</param>
    public TrustRow Add(string test, string method, int step, string metric, IReadOnlyList<int> images, IReadOnlyList<double> values)
    {
        if (images.Count != values.Count) throw new ArgumentException($"{values.Count} values for {images.Count} images.");
        for (int i = 0; i < images.Count; i++) imageValues.Add(new(test, method, step, metric, images[i], values[i]));
        var defined = values.Where(v => !double.IsNaN(v)).ToArray();
        var (low, high) = Interval(defined, new Random(unchecked(seed * 7919 + rows.Count)));
        var row = new TrustRow(test, method, step, metric, defined.Length == 0 ? double.NaN : defined.Average(), low, high, defined.Length);
        rows.Add(row);
        return row;
    }

    /// <summary>The row of this test, method, step and metric, or null.</summary>
    /// <param name="test">The test.</param>
    /// <param name="method">The method's name.</param>
    /// <param name="step">The step.</param>
    /// <param name="metric">The metric.</param>
    public TrustRow? Find(string test, string method, int step, string metric) =>
        rows.LastOrDefault(r => r.Test == test && r.Method == method && r.Step == step && r.Metric == metric);

    /// <summary>The 2.5th and 97.5th percentiles of <see cref="Resamples"/> means of resamples with replacement (NaN for no values).</summary>
    /// <param name="values">The values.</param>
    /// <param name="random">The generator drawing the resamples.</param>
    public static (double Low, double High) Interval(IReadOnlyList<double> values, Random random)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        var means = new double[Resamples];
        for (int r = 0; r < Resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < values.Count; i++) sum += values[random.Next(values.Count)];
            means[r] = sum / values.Count;
        }
        Array.Sort(means);
        return (means[(int)(0.025 * (Resamples - 1))], means[(int)Math.Ceiling(0.975 * (Resamples - 1))]);
    }
}
