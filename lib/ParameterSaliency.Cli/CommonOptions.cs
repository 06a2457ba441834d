using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    public static Option<string> Model() => new("--model") { Description = "Weights file (safetensors with model metadata).", DefaultValueFactory = _ => WorkbookPaths.DefaultModel };
    public static Option<string> Dataset() => new("--dataset") { Description = "Data set: fashion-mnist:test or fashion-mnist:train.", DefaultValueFactory = _ => "fashion-mnist:test" };
    public static Option<string> Statistics(bool required) => new("--stats") { Description = "Saliency statistics (μ, σ) file from 'saliency stats'.", Required = required };

    public static ConsoleProgress<PassProgress> PassProgress() => new(p => p.ToString(), p => p.Done == p.Total);
}

/// <summary>The --engine and --batch-size options of the verbs that profile many images, and the profiler options they give.</summary>
internal sealed class EngineOptions
{
    readonly Option<ProfileEngine> engine = new("--engine") { Description = "Per-sample gradient engine: Auto, Loop or Batched.", DefaultValueFactory = _ => ProfileEngine.Auto };
    readonly Option<int> batchSize = new("--batch-size") { Description = "Images per pass of the batched engine.", DefaultValueFactory = _ => new ProfilerOptions().BatchSize };

    public void AddTo(Command command)
    {
        command.Options.Add(engine);
        command.Options.Add(batchSize);
    }

    public ProfilerOptions From(ParseResult result) => new() { Engine = result.GetValue(engine), BatchSize = result.GetValue(batchSize) };
}
