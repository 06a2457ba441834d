using System.CommandLine;
using System.Globalization;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency neighbors</c>: nearest neighbours of one image in saliency and pixel space, or the §3.2 agreement numbers over every mistake.</summary>
internal static class NeighborsCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var statistics = CommonOptions.Statistics(required: true);
        var index = new Option<int?>("--index") { Description = "The query image's index in the data set." };
        var count = new Option<int>("-n") { Description = "Neighbours per query (the query itself is neighbour 0).", DefaultValueFactory = _ => 10 };
        var agreement = new Option<bool>("--agreement") { Description = "Instead of one query: for every misclassified image, the share of its n neighbours with the same (true, predicted) pair or its reverse, both spaces, and the Appendix D ranking." };
        var output = new Option<string?>("--out") { Description = "With --agreement: folder for agreement.md and ranking.csv." };
        var command = new Command("neighbors", "Nearest neighbours in saliency space (standardized filter-wise profiles) and in pixel space.") { statistics, index, count, agreement, output };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            int? query = result.GetValue(index);
            bool measure = result.GetValue(agreement);
            if (query is null == !measure) throw new ArgumentException("Give either --index i (one query) or --agreement (every misclassified image).");
            string modelPath = model.PathOf(result);
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            if (query is int q && (q < 0 || q >= data.Count)) throw new ArgumentException($"--index {q} is outside the data set (0-{data.Count - 1}).");
            int n = result.GetValue(count);
            if (n < 1 || n >= data.Count) throw new ArgumentException($"-n must lie in [1, {data.Count - 1}].");
            var stats = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Aggregation = stats.Aggregation }); // the units the statistics describe
            stats.EnsureBelongsTo(profiler);
            var report = CommonOptions.CachedEvaluation(modelPath, saved, data);
            using var saliencyIndex = SaliencyIndex.LoadOrBuild(WorkbookPaths.SaliencyIndexCache(modelPath, data.Name), profiler, stats, data, CommonOptions.PassProgress());
            using var pixelIndex = SaliencyIndex.Pixels(data);
            if (query is int single)
            {
                foreach (var list in new[] { saliencyIndex.Neighbors(single, n + 1), pixelIndex.Neighbors(single, n + 1) })
                {
                    Console.WriteLine($"{list.Space} space, neighbours of #{single}:");
                    Console.WriteLine("  rank  index  cosine  true          predicted");
                    foreach (var (entry, rank) in list.Entries.Select((e, r) => (e, r)))
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {rank,4}  {entry.Index,5}  {entry.Similarity,6:F3}  {data.ClassNames[report.Labels[entry.Index]],-12}  {data.ClassNames[report.Predictions[entry.Index]]}{(report.Labels[entry.Index] != report.Predictions[entry.Index] ? "  (wrong)" : "")}"));
                }
                return 0;
            }
            var measured = NeighborAgreement.Measure(saliencyIndex, pixelIndex, report, n);
            var ranking = NeighborAgreement.RankSamples(measured);
            Console.WriteLine(measured.Summary);
            Console.WriteLine(measured.ToMarkdown());
            Console.WriteLine("Appendix D ranking (saliency neighbours with the same pair), top 10:");
            foreach (var row in ranking.Take(10))
                Console.WriteLine($"  #{row.Index,5}  {data.ClassNames[row.TrueClass]} → {data.ClassNames[row.PredictedClass]}: {row.SaliencySame} of {n} same pair, {row.SaliencySameOrReverse} with reverse; pixel space {row.PixelSame}/{row.PixelSameOrReverse}");
            if (result.GetValue(output) is string folder)
            {
                Directory.CreateDirectory(folder);
                var csv = new StringBuilder("index,true_class,predicted_class,saliency_same,saliency_same_or_reverse,pixel_same,pixel_same_or_reverse,n\n");
                foreach (var row in ranking)
                    csv.Append(CultureInfo.InvariantCulture, $"{row.Index},{data.ClassNames[row.TrueClass]},{data.ClassNames[row.PredictedClass]},{row.SaliencySame},{row.SaliencySameOrReverse},{row.PixelSame},{row.PixelSameOrReverse},{n}\n");
                AtomicFile.WriteAllText(Path.Combine(folder, "agreement.md"), measured.Summary + "\n\n" + measured.ToMarkdown());
                AtomicFile.WriteAllText(Path.Combine(folder, "ranking.csv"), csv.ToString());
                Console.WriteLine($"Wrote {Path.Combine(folder, "agreement.md")} and ranking.csv");
            }
            return 0;
        });
        return command;
    }
}
