using System.CommandLine;
using ParameterSaliency.Hypotheses;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency compare</c>: which filters differ in ŝ between two groups of images (permutation p-values, BH).</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var defaults = new HypothesisOptions();
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var statistics = CommonOptions.Statistics(required: true);
        var a = new Option<string>("--a") { Description = "Group A: image indices, e.g. 1,2,3 or 10-19.", Required = true };
        var b = new Option<string>("--b") { Description = "Group B: image indices.", Required = true };
        var paired = new Option<bool>("--paired") { Description = "Image i of A goes with image i of B (as many each)." };
        var permutations = new Option<int>("--permutations") { Description = "Random relabellings.", DefaultValueFactory = _ => defaults.Permutations };
        var alpha = new Option<double>("--fdr") { Description = "False discovery rate.", DefaultValueFactory = _ => defaults.Alpha };
        var command = new Command("compare", "Which filters differ in ŝ between two groups of images: differences, effect sizes, permutation p, BH q.")
        {
            statistics, a, b, paired, permutations, alpha,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            int[] groupA = IndexRange.Parse(result.GetValue(a)!, data.Count), groupB = IndexRange.Parse(result.GetValue(b)!, data.Count);
            var loaded = SaliencyStatistics.Load(result.GetValue(statistics)!);
            var hypothesis = new SaliencyHypothesis(new SaliencyProfiler(saved.Model, new ProfilerOptions { Aggregation = loaded.Aggregation }), loaded,
                defaults with { Permutations = result.GetValue(permutations), Alpha = result.GetValue(alpha) });
            var comparison = result.GetValue(paired)
                ? hypothesis.Compare(data.Subset(groupA, "group A"), data.Subset(groupB, "group B"), paired: true)
                : hypothesis.Compare(data, groupA, groupB);
            Console.Write(comparison.ToMarkdown());
            return 0;
        });
        return command;
    }
}
