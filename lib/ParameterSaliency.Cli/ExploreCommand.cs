using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Imaging;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency explore</c>: the mistake explorer, one static page to browse a model's mistakes offline.</summary>
internal static class ExploreCommand
{
    public static Command Create()
    {
        var defaults = new ExplorerOptions();
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var statistics = new Option<string?>("--stats")
        {
            Description = "Saliency statistics (μ, σ) from 'saliency stats'; their units (filters, neurons, heads) are the page's. Default: the committed ones of an " +
                          "embedded model on fashion-mnist:test, else computed once and cached in artifacts/cache.",
        };
        var output = new Option<string>("--out") { Description = "Folder for index.html and its assets (new, empty, or an earlier explorer's; replaced when the new page is complete).", Required = true };
        var k = new Option<int>("-k") { Description = "Units listed per mistake (its top-k by ŝ).", DefaultValueFactory = _ => defaults.TopUnits };
        var neighbours = new Option<int>("-n") { Description = "Neighbours per mistake in saliency and in pixel space.", DefaultValueFactory = _ => defaults.Neighbours };
        var most = new Option<int?>("--most-mistakes") { Description = "At most this many mistakes, the first ones of the data set (default: all)." };
        var correct = new Option<int>("--correct-sample") { Description = "Correctly classified images profiled as the reference of a unit's ŝ.", DefaultValueFactory = _ => defaults.CorrectSample };
        var sanity = new Option<string?>("--sanity") { Description = "Folder of a 'saliency sanity' run: each mistake it measured shows its values, with a link to sanity.md." };
        var title = new Option<string?>("--title") { Description = "The page's title." };
        var command = new Command("explore", "Write the mistake explorer: every mistake, its salient units, heatmaps, neighbours and failure mode, on one page that works offline.")
        {
            statistics, output, k, neighbours, most, correct, sanity, title,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            string modelPath = model.PathOf(result);
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            var stats = StatisticsFor(result.GetValue(statistics), modelPath, saved, data);
            var options = defaults with
            {
                TopUnits = result.GetValue(k),
                Neighbours = result.GetValue(neighbours),
                MostMistakes = result.GetValue(most),
                CorrectSample = result.GetValue(correct),
                SanityFolder = result.GetValue(sanity),
                Title = result.GetValue(title) ?? $"Mistakes of {Path.GetFileName(modelPath)} on {data.Name}",
                EvaluationCache = WorkbookPaths.EvaluationCache(modelPath, data.Name),
                SaliencyIndexCache = WorkbookPaths.SaliencyIndexCache(modelPath, data.Name),
            };
            var page = Explorer.Write(saved.Model, data, stats, result.GetValue(output)!, options, new Progress<string>(line => Console.Error.WriteLine($"explore: {line}")));
            Console.WriteLine(page);
            return 0;
        });
        return command;
    }

    /// <summary>The statistics given, the committed ones of an embedded model on its test split, or computed once and cached.</summary>
    static SaliencyStatistics StatisticsFor(string? given, string modelPath, Models.SavedModel saved, ImageDataset data)
    {
        if (given is not null) return SaliencyStatistics.Load(given);
        string full = Path.GetFullPath(modelPath);
        if (data.Name == "fashion-mnist:test")
        {
            if (full == Path.GetFullPath(WorkbookPaths.DefaultModel)) return SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
            if (full == Path.GetFullPath(WorkbookPaths.VitModel)) return SaliencyStatistics.Load(WorkbookPaths.VitNeuronStatistics);
        }
        string cache = WorkbookPaths.StatisticsCache(modelPath, data.Name);
        Console.Error.WriteLine($"explore: no --stats; μ and σ over {data.Name} from {cache} (computed once when missing or stale)");
        return SaliencyStatistics.LoadOrCompute(cache, new SaliencyProfiler(saved.Model), data, CommonOptions.PassProgress());
    }
}
