using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The input gradient of the boosted-profile objective (a double backward) against central finite
/// differences of the same objective computed without any double backward: profiles from the plain
/// loop engine, standardization and cosine by hand, all in float64 on a small model.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class DoubleBackwardTests
{
    [Fact]
    public void Input_gradient_of_the_cosine_objective_matches_finite_differences()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10), seed: 21);
        model.to(ScalarType.Float64);
        using var data = TinyModels.Dataset(24, 12, seed: 22);
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop });
        var statistics = SaliencyStatistics.Compute(profiler, data);
        var options = new HeatmapOptions { K = 5, Boost = 100 };
        var heatmap = new InputSpaceSaliency(model, statistics, options).Explain(data.Images[3].to(ScalarType.Float64), data.Normalization, data.LabelArray[3]);

        double[] mean = statistics.Mean.ToArray(), std = statistics.Std.Select(v => v <= 1e-14 ? 1 : v).ToArray();
        double[] Z(Tensor image)
        {
            using var profiles = profiler.Profile(image.unsqueeze(0), data.Labels.narrow(0, 3, 1));
            double[] s = profiles.Values[0].data<double>().ToArray();
            return s.Select((v, f) => (v - mean[f]) / std[f]).ToArray();
        }
        var x = data.Images[3].to(ScalarType.Float64);
        double[] z0 = Z(x);
        int[] top = Enumerable.Range(0, z0.Length).OrderByDescending(f => z0[f]).Take(options.K).ToArray();
        Assert.Equal(top.Order(), heatmap.BoostedFilters.Order());
        double[] target = z0.Select((v, f) => top.Contains(f) ? v * options.Boost : v).ToArray();
        double Objective(Tensor image)
        {
            double[] z = Z(image);
            double dot = z.Zip(target, (a, b) => a * b).Sum();
            return dot / (Math.Sqrt(z.Sum(v => v * v)) * Math.Sqrt(target.Sum(v => v * v)));
        }

        const double epsilon = 1e-5;
        var random = new Random(1);
        int[] pixels = Enumerable.Range(0, 12).Select(_ => random.Next(144)).Append(heatmap.Peak().Row * 12 + heatmap.Peak().Column).ToArray();
        double squaredError = 0, squaredNorm = 0;
        foreach (int p in pixels)
        {
            var step = zeros(144, ScalarType.Float64);
            step[p] = tensor(epsilon);
            var direction = step.reshape(1, 12, 12);
            double numeric = (Objective(x + direction) - Objective(x - direction)) / (2 * epsilon);
            double analytic = heatmap.Gradient[p];
            squaredError += (numeric - analytic) * (numeric - analytic);
            squaredNorm += numeric * numeric;
        }
        Assert.True(squaredNorm > 0, "the finite differences are all zero: the test would prove nothing");
        double relative = Math.Sqrt(squaredError / squaredNorm);
        Assert.True(relative < 1e-4, $"double-backward gradient vs finite differences: relative L2 error {relative:E2}");
    }
}
