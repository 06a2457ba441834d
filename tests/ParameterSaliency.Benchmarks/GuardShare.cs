using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// What the settling check adds to a pass of the batched engine on the default model: the same passes with and without a
/// check (the ReLU watch, the float64 forwards of the candidates and the recomputation of the wrong rows under float64's
/// masks), in turns, on one thread of work as the profiler runs them.
/// </summary>
internal static class GuardShare
{
    public static string Table(int images, int runs)
    {
        using var data = FashionMnist.Load(DataSplit.Test);
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var model = saved.Model;
        model.eval();
        var layout = ProfileLayout.For(model, Aggregation.FilterWise);
        var engine = BatchedEngine.TryCreate(model, layout, out _)!;
        using var twin = Float64Twin.For(model, layout)!;
        const int perPass = 64;
        var x = data.Images.narrow(0, 0, images);
        var y = data.Labels.narrow(0, 0, images).to(ScalarType.Int64);
        (double Seconds, int Candidates, int Wrong) Run(bool checkRows, bool float64 = true)
        {
            var clock = Stopwatch.StartNew();
            using var check = new SettlingCheck(() => twin, SettlingCheck.MaskBudgetBytes) { Guard = float64 ? KinkGuard.Exact : KinkGuard.Flag };
            for (int first = 0; first < images; first += perPass)
            {
                using var scope = NewDisposeScope();
                engine.Profile(x.narrow(0, first, perPass), y.narrow(0, first, perPass), checkRows ? check : null, first);
            }
            foreach (var chunk in check.Wrong.ToArray().Chunk(perPass)) // as SaliencyProfiler.Settle: a pinned pass with the kept masks
            {
                using var scope = NewDisposeScope();
                var rows = tensor(chunk.Select(r => (long)r).ToArray());
                var masks = chunk.Select(check.TakeMasks).ToArray();
                var open = Enumerable.Range(0, masks[0]!.Length).Select(call => cat(masks.Select(m => m![call]).ToArray(), 0)).ToList();
                using (new PinnedRelus(model, open)) engine.Profile(x.index_select(0, rows), y.index_select(0, rows));
                foreach (var mask in masks.SelectMany(m => m!).Concat(open)) mask.Dispose();
            }
            return (clock.Elapsed.TotalSeconds, check.Candidates, check.Wrong.Count);
        }
        Run(true);
        Run(false); // warm
        var plain = new List<double>();
        var checkedRuns = new List<double>();
        var watchOnly = new List<double>();
        (double, int Candidates, int Wrong) last = default;
        for (int run = 0; run < runs; run++)
        {
            plain.Add(Run(false).Seconds);
            last = Run(true);
            checkedRuns.Add(last.Item1);
            watchOnly.Add(Run(true, float64: false).Seconds);
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var shares = plain.Zip(checkedRuns, (p, c) => (c - p) / p).Order().ToArray();
        return $"{images} test images, passes of {perPass}, batched engine, {get_num_threads()} torch threads, {runs} runs in turns: " +
               $"without the check {Median(plain):F2} s (median), with it {Median(checkedRuns):F2} s; the check's share of a pass {shares[shares.Length / 2]:P0} " +
               $"(runs: {string.Join(", ", shares.Select(s => s.ToString("P0")))}), of which watching the ReLUs and finding the candidates (all that KinkGuard.Flag does) " +
               $"{plain.Zip(watchOnly, (p, w) => (w - p) / p).Order().ElementAt(runs / 2):P0} (median); {last.Candidates} candidates checked in float64, {last.Wrong} recomputed";
    }
}
