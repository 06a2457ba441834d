using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.FineTuning;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// The answers of the notebooks' exercises, computed from the reader's own model and data when a check runs (so the
/// checks hold on any setting), each in the way the notebook's text suggests, not the way the exercise is solved.
/// </summary>
public static class AnswerKeys
{
    /// <summary>01.1: the layer whose filters have the largest mean s in <paramref name="profile"/>.</summary>
    /// <param name="layout">Layout of <paramref name="profile"/>: each layer's segment of entries.</param>
    /// <param name="profile">Saliency profile s of one image, one value per entry of <paramref name="layout"/>.</param>
    public static Func<string, bool> MostSalientLayer(ProfileLayout layout, float[] profile) => answer =>
    {
        var best = layout.Segments.MaxBy(s => Enumerable.Range(s.Offset, s.Length).Average(i => (double)profile[i]))!;
        return SameLayer(answer, best.Parameter);
    };

    /// <summary>01.2: the filter with the largest s in <paramref name="profile"/>, named as in the charts (".weight" optional).</summary>
    /// <param name="layout">Filter-wise layout naming each filter.</param>
    /// <param name="profile">Filter-wise saliency profile s of one image, one value per filter.</param>
    public static Func<string, bool> MostSalientFilter(ProfileLayout layout, float[] profile) => answer =>
    {
        int best = Enumerable.Range(0, profile.Length).MaxBy(i => profile[i]);
        var filter = layout.Filters[best];
        return string.Equals(answer, filter.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(answer, $"{filter.Layer}[{filter.Channel}]", StringComparison.OrdinalIgnoreCase);
    };

    /// <summary>02.1: how many of the top <paramref name="k"/> filters of ŝ of image <paramref name="row"/> lie in layers named <paramref name="stage"/>.*.</summary>
    /// <param name="z">Standardised profiles ŝ of the images.</param>
    /// <param name="row">Row of the image in <paramref name="z"/>.</param>
    /// <param name="stage">Layer-name prefix, e.g. <c>layer4</c>.</param>
    /// <param name="k">Number of top filters counted (default 10).</param>
    public static Func<int> TopFiltersInStage(StandardizedProfiles z, int row, string stage, int k = 10) =>
        () => z.Top(row, k).Filters.Count(f => f.Layer.StartsWith(stage + ".", StringComparison.Ordinal) || f.Layer == stage);

    /// <summary>
    /// 02.2: a filter in the top <paramref name="k"/> of ŝ for at least a <paramref name="share"/> of the images of the most
    /// common mistake (the most frequent (true, predicted) pair; at most 200 of its images are profiled).
    /// </summary>
    /// <param name="profiler">Profiler that computes s of the mistake's images.</param>
    /// <param name="statistics">μ and σ that standardise s into ŝ.</param>
    /// <param name="data">Data set the report was computed on.</param>
    /// <param name="report">Evaluation giving the misclassified images and their (true, predicted) pairs.</param>
    /// <param name="k">Length of each image's top list of ŝ (default 10).</param>
    /// <param name="share">Least share of the profiled images whose top list must hold the filter (default 0.25).</param>
    public static Func<string, bool> SharedByMostCommonMistake(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, EvaluationReport report,
        int k = 10, double share = 0.25) => answer =>
    {
        var pair = report.Misclassified.GroupBy(i => (report.Labels[i], report.Predictions[i])).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
        int[] images = pair.Take(200).ToArray();
        using var z = StandardizedProfiles.Of(profiler.Profile(data, images), statistics);
        int shared = Enumerable.Range(0, images.Length).Count(row => z.Top(row, k).Filters.Any(f =>
            string.Equals(answer, f.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(answer, $"{f.Layer}[{f.Channel}]", StringComparison.OrdinalIgnoreCase)));
        return shared >= share * images.Length;
    };

    /// <summary>03.1: images whose prediction changes when the top <paramref name="fraction"/> of their heatmap is masked.</summary>
    /// <param name="model">Classifier whose predictions are compared.</param>
    /// <param name="data">Data set the heatmaps' images come from.</param>
    /// <param name="heatmaps">One input-space heatmap h per image to mask.</param>
    /// <param name="fraction">Share of each image's pixels masked, most salient first (e.g. 0.05).</param>
    public static Func<int> SalientFlips(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<InputHeatmap> heatmaps, double fraction) =>
        () => Masking.CompareMany(model, data, heatmaps, fraction).SalientFlips;

    /// <summary>03.2: where (row, column) Grad-CAM on <paramref name="layer"/> peaks for image <paramref name="index"/>.</summary>
    /// <param name="model">Classifier to explain.</param>
    /// <param name="data">Data set holding the image.</param>
    /// <param name="index">Data-set index of the image.</param>
    /// <param name="layer">Module Grad-CAM hooks, as <c>named_modules()</c> names it.</param>
    public static Func<(int Row, int Column)> GradCamPeak(nn.Module<Tensor, Tensor> model, ImageDataset data, int index, string layer) =>
        () => new GradCam(model, layer).Explain(data, index).Peak();

    /// <summary>04.1: how many saliency neighbours of <paramref name="query"/> share its (true, predicted) pair.</summary>
    /// <param name="agreement">Neighbour agreement of the misclassified images.</param>
    /// <param name="query">Data-set index of a misclassified image in <paramref name="agreement"/>.</param>
    public static Func<int> SameWayNeighbours(AgreementReport agreement, int query) =>
        () => agreement.Rows.First(r => r.Index == query).SaliencySame;

    /// <summary>04.2: the nearest saliency neighbour of <paramref name="query"/> other than itself.</summary>
    /// <param name="index">Saliency index of the data set.</param>
    /// <param name="query">Index of the query image in <paramref name="index"/>.</param>
    public static Func<int> NearestNeighbour(SaliencyIndex index, int query) =>
        () => index.Neighbors(query, 2).Others.First().Index;

    /// <summary>05.1: a layer holding the most of the top-k filters chosen for <paramref name="sample"/> (ties: any of them).</summary>
    /// <param name="experiment">Fine-tuning experiment that chooses the top-k filters.</param>
    /// <param name="layout">Filter-wise layout giving each filter's layer.</param>
    /// <param name="sample">Data-set index of the misclassified sample.</param>
    public static Func<string, bool> LayerOfMostTopFilters(FineTuningExperiment experiment, ProfileLayout layout, int sample) => answer =>
    {
        var counts = experiment.Filters(sample, FilterChoice.TopSalient).GroupBy(f => layout.Filters[f].Parameter).ToArray();
        int most = counts.Max(g => g.Count());
        return counts.Where(g => g.Count() == most).Any(g => SameLayer(answer, g.Key));
    };

    /// <summary>05.2: a filter choice with the largest mean K for <paramref name="sample"/> in <paramref name="table"/> (ties: any of them).</summary>
    /// <param name="table">Table 1 or 2: one row per sample, filter choice and step.</param>
    /// <param name="sample">Data-set index of the sample.</param>
    public static Func<FilterChoice, bool> ChoiceWithLargestK(FineTuningTable table, int sample) => answer =>
    {
        var rows = table.Rows.Where(r => r.Sample == sample).ToArray();
        if (rows.Length == 0) throw new ArgumentException($"Sample #{sample} is not in {table.Title}.");
        double best = rows.Max(r => r.KMean);
        return rows.Any(r => r.Choice == answer && r.KMean == best);
    };

    static bool SameLayer(string answer, string parameter)
    {
        string layer = parameter.EndsWith(".weight", StringComparison.Ordinal) ? parameter[..^".weight".Length] : parameter;
        return string.Equals(answer, parameter, StringComparison.OrdinalIgnoreCase) || string.Equals(answer, layer, StringComparison.OrdinalIgnoreCase);
    }
}
