using System.CommandLine;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Models;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using ParameterSaliency.Training;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency finetune</c>: the paper's Tables 1 and 2 (SPEC §5), written as Markdown and CSV.</summary>
internal static class FineTuneCommand
{
    public static Command Create()
    {
        var defaults = new FineTuningOptions();
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var statistics = CommonOptions.Statistics(required: true);
        var samples = new Option<string?>("--samples") { Description = "Misclassified samples, e.g. 42,1337 (default: the top 3 of the Appendix D ranking)." };
        var seeds = new Option<int>("--seeds") { Description = "Random subsets per sample (mean ± std).", DefaultValueFactory = _ => defaults.RandomSeeds };
        var neighbors = new Option<int>("-n") { Description = "Saliency neighbours K counts among, the sample included.", DefaultValueFactory = _ => defaults.Neighbors };
        var subsetStep = new Option<double>("--subset-step") { Description = "SGD step size for the top, least and random subsets.", DefaultValueFactory = _ => defaults.SubsetStepSize };
        var stepFromModel = new Option<bool>("--step-from-model")
        {
            Description = "Use the learning rate the model's training ended on (its 'final_lr' metadata, Appendix D) as the subset step; all filters keep --all-step and Table 2's sweep.",
        };
        var allStep = new Option<double>("--all-step") { Description = "SGD step size for all filters in Table 1.", DefaultValueFactory = _ => defaults.AllStepSize };
        var sweep = new Option<string?>("--sweep")
        {
            Description = "Also sweep the subset step for top-k, least-k and k random (K against the step), e.g. 1e-3,3e-3,1e-2,3e-2,1e-1; writes sweep.md/.csv.",
        };
        var output = new Option<string>("--out") { Description = "Folder for table1.md/.csv and table2.md/.csv (and sweep.md/.csv).", Required = true };
        var command = new Command("finetune", "One SGD step on the salient, least salient, random or all filters of misclassified samples: the paper's Tables 1 and 2.")
        {
            statistics, samples, seeds, neighbors, subsetStep, stepFromModel, allStep, sweep, output,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            string modelPath = model.PathOf(result);
            using var saved = model.Load(result);
            bool fromModel = result.GetValue(stepFromModel);
            if (fromModel && result.GetResult(subsetStep) is { Implicit: false })
                throw new ArgumentException("--step-from-model and --subset-step both set the subset step; give one.");
            double subsetStepSize = fromModel ? TrainingMetadata.FinalLearningRateOf(saved.Metadata, modelPath) : result.GetValue(subsetStep);
            if (fromModel) Console.Error.WriteLine($"Subset step {subsetStepSize:G3}: the final learning rate recorded in {Path.GetFileName(modelPath)}.");
            using var data = dataset.Load(result, saved);
            var stats = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Aggregation = stats.Aggregation }); // the units the statistics describe
            stats.EnsureBelongsTo(profiler);
            int n = result.GetValue(neighbors);
            double[]? sweepSteps = result.GetValue(sweep) is string sweepText ? ParseSteps(sweepText) : null;
            var options = defaults with
            {
                RandomSeeds = result.GetValue(seeds), Neighbors = n, SubsetStepSize = subsetStepSize, AllStepSize = result.GetValue(allStep),
                SweepStepSizes = sweepSteps ?? defaults.SweepStepSizes,
            };
            options.Validate(profiler.Layout.Length); // a bad step or seed count stops here, before the saliency index is built
            var report = CommonOptions.CachedEvaluation(modelPath, saved, data);
            int[] chosen = [];
            if (result.GetValue(samples) is string list)
            {
                chosen = IndexRange.Parse(list, data.Count);
                var correct = chosen.Where(i => report.Predictions[i] == report.Labels[i]).ToArray();
                if (correct.Length > 0) throw new ArgumentException($"Samples must be misclassified; {string.Join(", ", correct)} {(correct.Length == 1 ? "is" : "are")} classified correctly.");
            }
            using var index = SaliencyIndex.LoadOrBuild(WorkbookPaths.SaliencyIndexCache(modelPath, data.Name), profiler, stats, data, CommonOptions.PassProgress());
            if (chosen.Length == 0)
            {
                using var pixels = SaliencyIndex.Pixels(data);
                chosen = NeighborAgreement.AppendixDRanking(index, pixels, report, n).Top(3);
                Console.Error.WriteLine($"Samples (Appendix D ranking): {string.Join(", ", chosen)}");
            }
            var experiment = new FineTuningExperiment(saved.Model, stats, index, data, options, report: report);
            var progress = new ConsoleProgress<(int Done, int Total)>(p => $"trials {p.Done}/{p.Total}", p => p.Done == p.Total);
            var table1 = experiment.Table1(chosen, progress);
            var table2 = experiment.Table2(chosen, progress);
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            foreach (var (name, table) in new[] { ("table1", table1), ("table2", table2) })
            {
                AtomicFile.WriteAllText(Path.Combine(folder, name + ".md"), table.ToMarkdown());
                AtomicFile.WriteAllText(Path.Combine(folder, name + ".csv"), table.ToCsv());
                Console.WriteLine(table.ToMarkdown());
            }
            if (sweepSteps is not null)
            {
                var stepSweep = experiment.StepSweep(chosen, progress);
                AtomicFile.WriteAllText(Path.Combine(folder, "sweep.md"), stepSweep.ToMarkdown() + "\n" + stepSweep.Table.ToMarkdown());
                AtomicFile.WriteAllText(Path.Combine(folder, "sweep.csv"), stepSweep.Table.ToCsv());
                Console.WriteLine(stepSweep.ToMarkdown());
            }
            Console.WriteLine($"Wrote table1 and table2{(sweepSteps is null ? "" : " and sweep")} (.md, .csv) to {folder}");
            return 0;
        });
        return command;
    }

    static double[] ParseSteps(string text)
    {
        try { return text.Split(',', StringSplitOptions.TrimEntries).Select(part => double.Parse(part, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ArgumentException($"--sweep '{text}' is not a comma-separated list of step sizes, e.g. 1e-3,3e-3,1e-2,3e-2,1e-1."); }
    }
}
