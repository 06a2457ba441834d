using System.Diagnostics;
using ParameterSaliency.Atlas;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// The mistake explorer: one static page (<c>index.html</c> and its assets, no server, no internet) to browse every
/// mistake of a model on a data set. The overview is the mistakes as thumbnails with the confusion matrix and the failure
/// modes as filters; a mistake's panel shows its top-k units by ŝ = (s − μ) / σ, its boosted heatmap beside its
/// random-units control, Grad-CAM and the input gradient, its saliency and pixel neighbours and its failure mode; a
/// unit's panel shows the mistakes where it ranks in the top-k and its ŝ over mistakes against correct images.
/// <example>
/// <code>
/// var page = Explorer.Write(saved.Model, test, statistics, "artifacts/explorer");   // then open page.IndexPath
/// </code>
/// </example>
/// </summary>
public static class Explorer
{
    /// <summary>Images listed per unit: of largest ŝ, and for filters of largest activation.</summary>
    internal const int LargestPerUnit = 8;

    /// <summary>
    /// Computes what the page shows and writes it to <paramref name="folder"/> (replaced only once every file is written;
    /// a folder holding anything but an earlier page is refused).
    /// </summary>
    /// <param name="model">Classifier f whose mistakes are explored.</param>
    /// <param name="data">Data set it is evaluated on; its misclassified images are the mistakes.</param>
    /// <param name="statistics">μ and σ of the profiles s of <paramref name="model"/> (their aggregation decides the units: filters, neurons or heads).</param>
    /// <param name="folder">Folder to write <c>index.html</c> and its assets to.</param>
    /// <param name="options">What the page shows and which caches it reuses; null for the defaults.</param>
    /// <param name="progress">Receives a line per stage and per chunk of work; null for none.</param>
    public static ExplorerPage Write(nn.Module<Tensor, Tensor> model, ImageDataset data, SaliencyStatistics statistics, string folder,
        ExplorerOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= new ExplorerOptions();
        options.Validate();
        if (data.Count == 0) throw new ArgumentException($"The data set {data.Name} holds no images.");
        var clock = Stopwatch.StartNew();
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Aggregation = statistics.Aggregation });
        statistics.EnsureBelongsTo(profiler);
        var staging = ExplorerFolder.Begin(folder);
        try
        {
            var page = Compose(profiler, data, statistics, staging, options, progress, clock);
            staging.Commit();
            return page;
        }
        catch
        {
            staging.Abandon();
            throw;
        }
    }

    static ExplorerPage Compose(SaliencyProfiler profiler, ImageDataset data, SaliencyStatistics statistics, ExplorerFolder staging, ExplorerOptions options,
        IProgress<string>? progress, Stopwatch clock)
    {
        var model = profiler.Model;
        var notes = new List<string>();
        var counting = progress is null ? null : new Progress<(int Done, int Total)>(p => progress.Report($"classifying {p.Done}/{p.Total}"));
        var report = options.EvaluationCache is null ? Evaluator.Evaluate(model, data, progress: counting)
            : EvaluationCache.LoadOrEvaluate(options.EvaluationCache, model, data, counting);
        if (report.Misclassified.Count == 0) throw new ArgumentException($"The model classifies every one of the {data.Count} images of {data.Name} correctly: there is no mistake to explore.");
        int[] mistakes = report.Misclassified.Take(options.MostMistakes ?? int.MaxValue).ToArray();
        if (mistakes.Length < report.Misclassified.Count) notes.Add($"The first {mistakes.Length} of {report.Misclassified.Count} mistakes.");
        var random = new Random(options.Seed);
        int[] correct = Enumerable.Range(0, data.Count).Where(i => report.Labels[i] == report.Predictions[i]).ToArray();
        random.Shuffle(correct);
        correct = correct.Take(options.CorrectSample).Order().ToArray();

        using var profiles = MistakeProfiles.Compute(profiler, statistics, data, mistakes, correct, options.TopUnits, LargestPerUnit, progress);
        var atlas = BuildAtlas(profiler, statistics, data, report, mistakes, options, notes, progress);

        progress?.Report("saliency and pixel neighbours");
        var passes = progress is null ? null : new Progress<PassProgress>(p => progress.Report($"saliency index: {p}"));
        using var saliencyIndex = options.SaliencyIndexCache is null ? SaliencyIndex.Build(profiler, statistics, data, passes)
            : SaliencyIndex.LoadOrBuild(options.SaliencyIndexCache, profiler, statistics, data, passes);
        using var pixelIndex = SaliencyIndex.Pixels(data);
        int n = Math.Min(options.Neighbours + 1, data.Count);
        var saliencyNeighbours = saliencyIndex.Neighbors(mistakes, n);
        var pixelNeighbours = pixelIndex.Neighbors(mistakes, n);

        var sanity = options.SanityFolder is null ? null : SanityValues.Read(options.SanityFolder);
        var json = new ExplorerJson(data, report, profiler.Layout, options, notes);
        var units = json.Units(profiles, atlas);
        progress?.Report("the images that excite each filter most");
        var excite = FilterActivations.Leaders(model, profiler.Layout, units.Select(u => u.Entry), data, mistakes.Concat(correct).Order().ToArray(), LargestPerUnit);
        var shown = new HashSet<int>(mistakes);
        shown.UnionWith(saliencyNeighbours.Concat(pixelNeighbours).SelectMany(list => list.Entries).Select(e => e.Index));
        shown.UnionWith(atlas?.Clusters.SelectMany(c => c.Typical) ?? []);
        shown.UnionWith(units.SelectMany(u => u.Largest).Select(l => l.Image));
        shown.UnionWith(excite.Values.SelectMany(leaders => leaders).Select(l => l.Image));
        progress?.Report($"thumbnails of {shown.Count} images");
        var sheets = ThumbnailSheets.Of(data, shown);
        for (int s = 0; s < sheets.Sheets.Count; s++) File.WriteAllBytes(staging.PathOf($"thumbs-{s}.png"), sheets.Sheets[s]);

        var heatmaps = new ExplorerHeatmaps(model, statistics, options.Heatmap, options.Seed, notes);
        for (int start = 0, chunk = 0; start < mistakes.Length; start += options.MistakesPerChunk, chunk++)
        {
            int[] part = mistakes.Skip(start).Take(options.MistakesPerChunk).ToArray();
            var maps = heatmaps.Draw(data, part, notes);
            string detail = json.Chunk(chunk, part, maps, saliencyNeighbours.Skip(start).Take(part.Length).ToArray(),
                pixelNeighbours.Skip(start).Take(part.Length).ToArray(), sanity);
            File.WriteAllText(staging.PathOf(Path.Combine("chunks", $"mistakes-{chunk}.js")), detail);
            progress?.Report($"heatmaps and neighbours {start + part.Length}/{mistakes.Length}");
        }
        string? sanityLink = options.SanityFolder is null ? null
            : Path.GetRelativePath(staging.Target, Path.Combine(Path.GetFullPath(options.SanityFolder), "sanity.md")).Replace('\\', '/');
        File.WriteAllText(staging.PathOf("data.js"), json.Overview(mistakes, profiles, atlas, units, excite, sheets, heatmaps.Methods, correct, sanityLink, sanity is not null));
        ExplorerAssets.WriteTo(staging.Staging);
        long bytes = new DirectoryInfo(staging.Staging).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return new ExplorerPage(staging.Target, mistakes.Length, units.Count, atlas?.Clusters.Count ?? 0, bytes, clock.Elapsed, notes.Distinct().ToArray());
    }

    /// <summary>The failure modes of the mistakes shown (an atlas of the data set restricted to them); null, with a note, when they are too few.</summary>
    static FailureModes? BuildAtlas(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, EvaluationReport report, int[] mistakes,
        ExplorerOptions options, List<string> notes, IProgress<string>? progress)
    {
        if (mistakes.Length < 5)
        {
            notes.Add($"No failure modes: {mistakes.Length} mistakes are too few to cluster (an atlas needs 5).");
            return null;
        }
        using var subset = data.Subset(mistakes, data.Name);
        var probabilities = mistakes.SelectMany(i => Enumerable.Range(0, report.ClassNames.Count).Select(c => report.Probability(i, c))).ToArray();
        var subReport = new EvaluationReport(report.Dataset, report.ClassNames, mistakes.Select(i => report.Labels[i]).ToArray(),
            mistakes.Select(i => report.Predictions[i]).ToArray(), probabilities);
        var atlasOptions = options.Atlas with { Seed = options.Seed, MaxClusters = Math.Min(options.Atlas.MaxClusters, mistakes.Length - 2) };
        var atlas = FailureAtlas.Build(profiler, statistics, subset, subReport, atlasOptions, progress is null ? null : new Progress<string>(step => progress.Report($"failure modes: {step}")));
        var clusters = atlas.Clusters.Select(c => c with { Images = c.Images.Select(i => mistakes[i]).ToArray(), Typical = c.Typical.Select(i => mistakes[i]).ToArray() }).ToArray();
        return new FailureModes(clusters, atlas.ToString());
    }
}
