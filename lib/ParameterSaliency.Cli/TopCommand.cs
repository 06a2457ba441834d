using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency top</c>: the k most salient filters of one image.</summary>
internal static class TopCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var index = new Option<int>("--index") { Description = "The image's index in the data set.", Required = true };
        var statistics = CommonOptions.Statistics(required: true);
        var k = new Option<int>("-k") { Description = "How many filters.", DefaultValueFactory = _ => 10 };
        var absolute = new Option<bool>("--absolute") { Description = "Rank by |s - μ| / σ (the paper's formula) instead of (s - μ) / σ." };
        var command = new Command("top", "Print the k most salient filters of one image.") { index, statistics, k, absolute };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            int i = result.GetValue(index);
            if (i < 0 || i >= data.Count) throw new ArgumentException($"--index {i} is outside the data set (0-{data.Count - 1}).");
            var loaded = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Aggregation = loaded.Aggregation }); // the units the statistics describe
            loaded.EnsureBelongsTo(profiler);
            using var image = data.Subset([i]);
            var report = Evaluator.Evaluate(saved.Model, image);
            using var profiles = profiler.Profile(image.Images, image.Labels);
            using var z = StandardizedProfiles.Of(profiles, loaded, result.GetValue(absolute));
            int predicted = report.Predictions[0];
            Console.WriteLine($"{data.Name} #{i}: true {data.ClassNames[image.LabelArray[0]]}, predicted {data.ClassNames[predicted]} ({report.Probability(0, predicted):P1})");
            Console.Write(z.Top(0, result.GetValue(k)).ToText());
            return 0;
        });
        return command;
    }
}
