using System.CommandLine;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Experiments;
using ParameterSaliency.Imaging;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using ParameterSaliency.Trust;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency sanity</c>: the trust tests of SPEC §9 on a model, written as sanity.md, sanity.csv, images.csv and charts.</summary>
internal static class SanityCommand
{
    public static Command Create()
    {
        var defaults = new SanityOptions();
        var model = new ModelOptions(WorkbookPaths.DefaultModel);
        var dataset = new DatasetOptions();
        var statistics = CommonOptions.Statistics(required: true);
        var images = new Option<int>("--images") { Description = "Mistakes explained (the first ones of the data set).", DefaultValueFactory = _ => defaults.Images };
        var reference = new Option<int>("--reference-images") { Description = "Images estimating μ and σ of every model explained.", DefaultValueFactory = _ => defaults.ReferenceImages };
        var relabelled = new Option<string?>("--relabelled-model")
        {
            Description = "The same architecture trained on permuted labels (saliency train --permute-labels), for data randomisation; 'none' to skip " +
                          "(default: the embedded one when --model is the default model on Fashion-MNIST, else none).",
        };
        var cueModel = new Option<string?>("--cue-model")
        {
            Description = "Model trained with the planted cue, for localisation; 'none' to skip (default: the embedded one when --model is the default model on Fashion-MNIST, else none).",
        };
        var cueStats = new Option<string>("--cue-stats") { Description = "μ, σ of the cue model.", DefaultValueFactory = _ => WorkbookPaths.PlantedCueStatistics };
        var cueImages = new Option<int>("--cue-images") { Description = "Most images the cue turns explained for localisation.", DefaultValueFactory = _ => defaults.CueImages };
        var neighbourImages = new Option<int>("--neighbour-images") { Description = "First images whose mistakes are looked up among saliency neighbours (§3.2), trained and random weights.", DefaultValueFactory = _ => defaults.NeighbourImages };
        var noIndependent = new Option<bool>("--no-independent") { Description = "Skip randomising each layer alone (the cascading curves stay)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the randomised layers, random classes, controls and bootstrap.", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--out") { Description = "Folder for sanity.md, sanity.csv, images.csv, randomisation.svg, deletion-insertion.svg and randomisation-grid.png.", Required = true };
        var command = new Command("sanity", "Can the explanations be trusted? Model and data randomisation, random logit, deletion and insertion, localisation on the planted cue (SPEC §9).")
        {
            statistics, images, reference, relabelled, cueModel, cueStats, cueImages, neighbourImages, noIndependent, seed, output,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            var stats = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var options = defaults with
            {
                Images = result.GetValue(images), ReferenceImages = result.GetValue(reference), Independent = !result.GetValue(noIndependent), Seed = result.GetValue(seed), CueImages = result.GetValue(cueImages), NeighbourImages = result.GetValue(neighbourImages),
            };
            // The embedded companions belong to the default model on Fashion-MNIST; another model or data set names its own.
            bool embedded = Path.GetFullPath(model.PathOf(result)) == Path.GetFullPath(WorkbookPaths.DefaultModel) && data.Name.StartsWith("fashion-mnist", StringComparison.Ordinal);
            string relabelledPath = result.GetValue(relabelled) ?? (embedded ? WorkbookPaths.PermutedLabelsModel : "none");
            string cuePath = result.GetValue(cueModel) ?? (embedded ? WorkbookPaths.PlantedCueModel : "none");
            if (relabelledPath == "none") Console.Error.WriteLine("sanity: no --relabelled-model, so no data randomisation");
            if (cuePath == "none") Console.Error.WriteLine("sanity: no --cue-model, so no localisation");
            using var relabelledModel = relabelledPath == "none" ? null : ModelFile.Load(relabelledPath);
            using var cue = cuePath == "none" ? null : ModelFile.Load(cuePath);
            var check = new SanityCheck(saved.Model, stats, data, options)
            {
                Relabelled = relabelledModel?.Model,
                CueModel = cue is null ? null : (cue.Model, SaliencyStatistics.Load(result.GetValue(cueStats)!), PlantedCue.Default),
            };
            var report = check.Run(new Progress<string>(line => Console.Error.WriteLine($"sanity: {line}")));
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            string commandLine = "saliency " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            AtomicFile.WriteAllText(Path.Combine(folder, "sanity.csv"), report.ToCsv());
            AtomicFile.WriteAllText(Path.Combine(folder, "images.csv"), report.ToImagesCsv());
            AtomicFile.WriteAllText(Path.Combine(folder, "randomisation.svg"), SanityCharts.RandomisationCurves(report));
            AtomicFile.WriteAllText(Path.Combine(folder, "deletion-insertion.svg"), SanityCharts.DeletionInsertion(report));
            AtomicFile.Write(Path.Combine(folder, "randomisation-grid.png"), stream => stream.Write(SanityCharts.Grid(report).ToPng()));
            string markdown = report.ToMarkdown(commandLine);
            AtomicFile.WriteAllText(Path.Combine(folder, "sanity.md"), markdown);
            Console.WriteLine(report.VerdictTable());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote sanity.md, sanity.csv, images.csv and 3 charts to {folder} ({report.Elapsed.TotalMinutes:F1} min)."));
            return 0;
        });
        return command;
    }
}
