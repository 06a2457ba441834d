using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency stats</c>: μ and σ of filter-wise profiles over a data set, in shards if wished; <c>saliency stats merge</c> joins shards.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var limit = new Option<int?>("--limit") { Description = "Use only the first N images." };
        var shard = new Option<string?>("--shard") { Description = "Compute shard i of n (e.g. 2/4) of the images; merge the shards with 'stats merge'." };
        var output = new Option<string>("--out") { Description = "Statistics file to write (safetensors); kept when it already holds these statistics.", Required = true };
        var force = new Option<bool>("--force") { Description = "Recompute even when --out already holds statistics of this model over these images." };
        var checkpointSeconds = new Option<double>("--checkpoint-seconds")
        {
            Description = "Save the unfinished pass to <out>.partial this often (0: after every chunk); a rerun of the same command resumes from it.",
            DefaultValueFactory = _ => 30,
        };
        var engine = new EngineOptions();
        var command = new Command("stats", "Compute μ and σ (sample std) of filter-wise saliency profiles over a data set.") { limit, shard, output, force, checkpointSeconds };
        model.AddTo(command);
        dataset.AddTo(command);
        engine.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            var data = dataset.Source(result, saved);
            using var disposeData = data as IDisposable;
            int count = Math.Min(data.Count, result.GetValue(limit) ?? data.Count);
            string? shardSpec = result.GetValue(shard);
            int[] indices = shardSpec is null ? Enumerable.Range(0, count).ToArray() : IndexRange.Shard(shardSpec, count);
            string name = data.Name + (count < data.Count ? $"[:{count}]" : "") + (shardSpec is null ? "" : $"[shard {shardSpec}]");
            if (data is ImageFolderSource { Options.SkipBad: false } source)
            {
                // A damaged file must stop the pass now, not hours in: every image is decoded once first.
                var unreadable = source.FindUnreadable(indices, new ConsoleProgress<(int Done, int Total)>(p => $"checking images {p.Done:N0}/{p.Total:N0}", p => p.Done == p.Total));
                if (unreadable.Count > 0)
                    throw new InvalidDataException($"{unreadable.Count} image(s) of {data.Name} cannot be decoded: " +
                        string.Join("; ", unreadable.Take(10).Select(u => u.Reason)) + (unreadable.Count > 10 ? "; …" : "") +
                        ". Remove or replace them, or give --skip-bad to leave them out (they are listed).");
            }
            var profiler = new SaliencyProfiler(saved.Model, engine.From(result));
            string outPath = result.GetValue(output)!;
            bool computed = false;
            // Another process computing the same file at the same time is waited for, and its result read.
            var statistics = SaliencyStatistics.LoadOrCompute(outPath, profiler, data, CommonOptions.PassProgress(), Console.Error, indices, name,
                recompute: result.GetValue(force), checkpointEvery: TimeSpan.FromSeconds(Math.Max(0, result.GetValue(checkpointSeconds))), computing: () =>
                {
                    computed = true;
                    Console.Error.WriteLine($"Profiling {indices.Length:N0} images of {name} ({profiler.Layout.Length} filters, {profiler.Engine} engine; {CpuKernels.Policy.Kernels} kernels).");
                });
            if (computed) Console.Error.WriteLine($"Engine: {profiler.EngineReason}.");
            if (data is ImageFolderSource folder)
                foreach (var skipped in folder.Skipped) Console.Error.WriteLine($"skipped {skipped.Path}: {skipped.Reason}");
            Console.WriteLine(computed ? $"Wrote {outPath}: {statistics} (checksum {statistics.Checksum})."
                : $"Up to date: {outPath} already holds {statistics} (checksum {statistics.Checksum}; --force recomputes).");
            return 0;
        });

        var inputs = new Argument<string[]>("shards") { Description = "Statistics files of disjoint shards.", Arity = ArgumentArity.OneOrMore };
        var mergedOutput = new Option<string>("--out") { Description = "Merged statistics file to write.", Required = true };
        var merge = new Command("merge", "Merge statistics of disjoint shards (same model) into one file.") { inputs, mergedOutput };
        merge.SetAction(result =>
        {
            var shards = result.GetValue(inputs)!.Select(SaliencyStatistics.Load).ToArray();
            var merged = SaliencyStatistics.Merge(shards);
            string outPath = result.GetValue(mergedOutput)!;
            merged.Save(outPath);
            Console.WriteLine($"Wrote {outPath}: {merged}.");
            return 0;
        });
        command.Subcommands.Add(merge);

        var file = new Argument<string>("file") { Description = "The authors' statistics (ImageNet_val_saliency_stat_<model>_filter_wise.pth)." };
        var arch = new Option<string>("--arch") { Description = "The architecture they belong to: resnet50, densenet121, vgg19, inception_v3 (any name of 'saliency models').", Required = true };
        var importedOutput = new Option<string>("--out") { Description = "Statistics file to write (safetensors).", Required = true };
        var import = new Command("import", "Convert the authors' released statistics (torch.save of mean and std) into this library's format with our filter names.") { file, arch, importedOutput };
        import.SetAction(result =>
        {
            var statistics = AuthorsStatistics.Import(result.GetValue(file)!, result.GetValue(arch)!);
            string outPath = result.GetValue(importedOutput)!;
            statistics.Save(outPath);
            Console.WriteLine($"Wrote {outPath}: {statistics} (sample count unknown: cannot be merged).");
            return 0;
        });
        command.Subcommands.Add(import);
        return command;
    }
}
