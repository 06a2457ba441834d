using System.CommandLine;
using System.Globalization;
using System.Text;
using ParameterSaliency.Atlas;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Imaging;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using ParameterSaliency.Trust;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency atlas</c>: the failure modes of a model on a data set (clusters of its mistakes by ŝ), as CSV, Markdown and a PNG per cluster.</summary>
internal static class AtlasCommand
{
    public static Command Create()
    {
        var defaults = new AtlasOptions();
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var statistics = CommonOptions.Statistics(required: true);
        var clusters = new Option<int?>("--clusters") { Description = $"Number of clusters (default: the k in {defaults.MinClusters}-{defaults.MaxClusters} of largest cosine silhouette)." };
        var permutations = new Option<int>("--permutations") { Description = "Random subsets per cluster for the filters' p-values.", DefaultValueFactory = _ => defaults.Permutations };
        var randomisationCheck = new Option<bool>("--randomisation-check")
        {
            Description = "Also ask whether each cluster's filters are the model's: their excess of ŝ again with every layer randomised (SPEC §9; μ, σ of that model from the first 1,000 images).",
        };
        var output = new Option<string>("--out") { Description = "Folder for atlas.md, clusters.csv and cluster-N.png (its most typical mistakes).", Required = true };
        var command = new Command("atlas", "Cluster every misclassified image by its standardized profile ŝ: failure modes, their (true → predicted) pairs, their filters.")
        {
            statistics, clusters, permutations, randomisationCheck, output,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            string modelPath = model.PathOf(result);
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            var stats = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Aggregation = stats.Aggregation }); // the units the statistics describe
            stats.EnsureBelongsTo(profiler);
            var report = CommonOptions.CachedEvaluation(modelPath, saved, data);
            var options = defaults with { Clusters = result.GetValue(clusters), Permutations = result.GetValue(permutations) };
            var atlas = FailureAtlas.Build(profiler, stats, data, report, options, new Progress<string>(step => Console.Error.WriteLine($"atlas: {step}")));
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var csv = new StringBuilder("cluster,index,true_class,predicted_class,typical_rank\n");
            foreach (var cluster in atlas.Clusters)
            {
                var typicalRank = cluster.Typical.Select((image, rank) => (image, rank)).ToDictionary(t => t.image, t => t.rank + 1);
                foreach (int image in cluster.Images)
                    csv.Append(CultureInfo.InvariantCulture,
                        $"{cluster.Number},{image},{data.ClassNames[report.Labels[image]]},{data.ClassNames[report.Predictions[image]]},{(typicalRank.TryGetValue(image, out int rank) ? rank : "")}\n");
            }
            AtomicFile.WriteAllText(Path.Combine(folder, "clusters.csv"), csv.ToString());
            string markdown = Markdown(atlas);
            if (result.GetValue(randomisationCheck))
            {
                Console.Error.WriteLine("atlas: the same filters with every layer randomised");
                var muSigma = new ModelStatistics(saved.Model, stats, data, Enumerable.Range(0, Math.Min(1000, data.Count)).ToArray());
                var survival = RandomisationSurvival.CheckAll(saved.Model, muSigma, data, atlas.Clusters.Select(c => (
                    (IReadOnlyList<int>)c.Images, (IReadOnlyList<int>)report.Misclassified,
                    (IReadOnlyList<int>)(c.Filters.Any(f => f.Discovered) ? c.Filters.Where(f => f.Discovered) : c.Filters.Take(3)).Select(f => f.Index).ToArray())).ToArray());
                markdown += SurvivalMarkdown(atlas, survival);
            }
            AtomicFile.WriteAllText(Path.Combine(folder, "atlas.md"), markdown);
            foreach (var cluster in atlas.Clusters)
            {
                var grid = Gallery.Of(data, report, cluster.Typical, $"cluster {cluster.Number}");
                AtomicFile.Write(Path.Combine(folder, $"cluster-{cluster.Number}.png"), stream => stream.Write(grid.ToPng()));
            }
            Console.WriteLine(markdown);
            Console.WriteLine($"Wrote atlas.md, clusters.csv and {atlas.K} cluster PNGs to {folder}");
            return 0;
        });
        return command;
    }

    static string SurvivalMarkdown(FailureAtlas atlas, IReadOnlyList<RandomisationSurvival> survival)
    {
        var text = new StringBuilder("\n## Are the clusters' filters the model's? (model randomisation, SPEC §9)\n\n");
        text.Append("Excess of mean ŝ (cluster minus all mistakes) of each cluster's discovered filters (its 3 strongest when none), trained and with every layer randomised. ")
            .Append("A filter survives when the excess falls below half (or changes sign) with random weights: the finding is the model's, not the images'.\n\n")
            .Append("| cluster | survive | filters: trained → randomised excess |\n|---:|---:|---|\n");
        for (int c = 0; c < atlas.K; c++)
            text.Append(CultureInfo.InvariantCulture, $"| {atlas.Clusters[c].Number} | {survival[c].Surviving} of {survival[c].Units.Count} | " +
                $"{string.Join(", ", survival[c].Units.Select(u => $"{u.Name} ({u.Trained:+0.00;-0.00} → {u.Randomised:+0.00;-0.00})"))} |\n");
        return text.ToString();
    }

    static string Markdown(FailureAtlas atlas)
    {
        var text = new StringBuilder(atlas.ToString()).Append("\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Silhouette per k: {string.Join(", ", atlas.Silhouettes.Select(s => $"{s.Key}: {s.Value:F3}"))}\n\n");
        text.Append("| cluster | mistakes | (true → predicted): count | filters at FDR | most over-represented filters (excess of mean ŝ, q) |\n|---:|---:|---|---:|---|\n");
        foreach (var c in atlas.Clusters)
            text.Append(CultureInfo.InvariantCulture, $"| {c.Number} | {c.Images.Count} | {atlas.Composition(c)} | {c.Discoveries} | {string.Join(", ", c.Filters.Take(3).Select(f => $"{f.Name} ({f.Excess:+0.00}, {f.Q:G2})"))} |\n");
        return text.ToString();
    }
}
