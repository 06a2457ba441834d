using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency profile</c>: filter-wise profiles s (and, with statistics, ŝ) of chosen images, as safetensors.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var indices = new Option<string>("--indices") { Description = "Images: an index, a range (0-63) or a list (1,5,10-12).", DefaultValueFactory = _ => "0-63" };
        var statistics = CommonOptions.Statistics(required: false);
        var output = new Option<string>("--out") { Description = "Output file (safetensors): inputs, labels, profiles and, with --stats, z.", Required = true };
        var engine = new EngineOptions();
        var command = new Command("profile", "Write saliency profiles s of chosen images (filters, neurons or heads: --aggregation).") { indices, statistics, output };
        model.AddTo(command);
        dataset.AddTo(command);
        engine.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            int[] chosen = IndexRange.Parse(result.GetValue(indices)!, data.Count);
            var profiler = new SaliencyProfiler(saved.Model, engine.From(result));
            using var subset = data.Subset(chosen);
            using var profiles = profiler.Profile(subset.Images, subset.Labels, new ConsoleProgress<(int Done, int Total)>(p => $"profiling {p.Done}/{p.Total}", p => p.Done == p.Total));
            var tensors = new Dictionary<string, Tensor>
            {
                ["inputs"] = subset.Images,
                ["labels"] = subset.Labels,
                ["indices"] = tensor(chosen.Select(i => (long)i).ToArray()),
                ["profiles"] = profiles.Values,
                // Under --guard Flag: the rows that hang on a ReLU input within rounding of zero, and how far each could move (row-relative L1).
                ["unsettled_rows"] = tensor(profiles.UnsettledRows.Select(row => (long)row).ToArray()),
                ["unsettled_bounds"] = tensor(profiles.UnsettledBounds.ToArray(), ScalarType.Float64),
            };
            string? statisticsPath = result.GetValue(statistics);
            StandardizedProfiles? z = null;
            if (statisticsPath is not null)
            {
                var loaded = SaliencyStatistics.Load(statisticsPath);
                loaded.EnsureBelongsTo(profiler);
                z = StandardizedProfiles.Of(profiles, loaded);
                tensors["z"] = z.Values;
            }
            var metadata = new Dictionary<string, string>
            {
                ["kind"] = "parameter-saliency-profiles/1",
                ["aggregation"] = profiler.Layout.Aggregation.ToString(),
                ["engine"] = profiler.Engine.ToString(),
                ["guard"] = profiler.Options.Guard.ToString(),
                ["model"] = Path.GetFileName(saved.Path),
                ["model_fingerprint"] = profiler.ModelFingerprint,
                ["dataset"] = data.Name,
                ["filter_names"] = string.Join(",", profiler.Layout.EntryNames),
            };
            string outPath = result.GetValue(output)!;
            SafeTensors.Write(outPath, tensors, metadata);
            z?.Dispose();
            Console.WriteLine($"Wrote {outPath}: {chosen.Length} {profiler.Layout.Aggregation} profiles of {profiler.Layout.Length} entries ({profiler.Engine} engine){(z is null ? "" : ", with z")}.");
            if (profiles.UnsettledRows.Count > 0)
                Console.WriteLine($"{profiles.UnsettledRows.Count} rows hang on a ReLU input within float32 rounding of zero and were not checked (unsettled_rows); " +
                                  $"the largest could be {profiles.UnsettledBounds.Max():E1} from float64 (row-relative L1, unsettled_bounds).");
            return 0;
        });
        return command;
    }
}
