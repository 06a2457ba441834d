using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Experiments;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency planted-cue</c>: the ground-truth experiment of the case study, written as Markdown and CSV.</summary>
internal static class PlantedCueCommand
{
    public static Command Create()
    {
        var model = new ModelOptions(WorkbookPaths.PlantedCueModel, "A model trained with 'saliency train --planted-cue'.");
        var dataset = new DatasetOptions();
        var statistics = new Option<string>("--stats") { Description = "μ, σ of that model (computed and cached there when missing).", DefaultValueFactory = _ => WorkbookPaths.PlantedCueStatistics };
        var limit = new Option<int?>("--limit") { Description = "Explain only the first N images the marker turns (default: all)." };
        var output = new Option<string>("--out") { Description = "Folder for planted-cue.md and planted-cue.csv.", DefaultValueFactory = _ => Path.Combine(WorkbookPaths.Artifacts, "planted-cue") };
        var command = new Command("planted-cue", "Stamp the planted marker on test images and score where each heatmap method points.") { statistics, limit, output };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            if (!saved.Metadata.ContainsKey("planted_cue"))
                Console.Error.WriteLine("saliency: warning: this model's file does not say it was trained with the planted cue.");
            using var data = dataset.Load(result, saved);
            var profiler = new SaliencyProfiler(saved.Model);
            var stats = SaliencyStatistics.LoadOrCompute(result.GetValue(statistics)!, profiler, data, CommonOptions.PassProgress(), Console.Error);
            var report = PlantedCueExperiment.Run(saved.Model, stats, data, PlantedCue.Default, result.GetValue(limit),
                progress: new ConsoleProgress<(int Done, int Total)>(p => $"explained {p.Done}/{p.Total} images", p => p.Done == p.Total));
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            AtomicFile.WriteAllText(Path.Combine(folder, "planted-cue.md"), report.Summary + "\n\n" + report.ToMarkdown());
            AtomicFile.WriteAllText(Path.Combine(folder, "planted-cue.csv"), report.ToCsv());
            Console.WriteLine(report);
            return 0;
        });
        return command;
    }
}
