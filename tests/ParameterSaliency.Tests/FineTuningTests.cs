using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Models;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>One SGD step on chosen filters: exactly those rows change, by −η·∂L/∂W; the model comes back bit for bit; K and ΔA by hand.</summary>
public class FineTuningTests
{
    static Dictionary<string, byte[]> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.cpu().contiguous().bytes.ToArray());

    [Fact]
    public void A_step_changes_exactly_the_chosen_rows_by_the_gradient_and_the_model_is_restored()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 51);
        using var data = TinyModels.Dataset(4, 12, seed: 52);
        var tuner = new FilterFineTuner(model);
        var layout = ProfileLayout.For(model, Aggregation.FilterWise);
        int[] chosen = [3, 9, 500, layout.Length - 1]; // conv1[3], layer1.0.conv1[1], ..., the last filter
        var original = Snapshot(model);
        // Independent gradient of the sample's loss.
        var weights = layout.Segments.Select(s => model.parameters().ElementAt(s.ParameterIndex)).ToArray();
        var loss = nn.functional.cross_entropy(model.call(data.Images.narrow(0, 2, 1)), data.Labels.narrow(0, 2, 1));
        var gradients = autograd.grad([loss], weights);
        const double step = 0.5;
        var during = tuner.WithStep(data, sample: 2, chosen, step, () => Snapshot(model));

        var chosenRows = chosen.Select(f => (Name: layout.Filters[f].Parameter, Row: layout.Filters[f].Channel)).ToHashSet();
        foreach (var (name, before) in original)
        {
            byte[] after = during[name];
            var segment = layout.Segments.FirstOrDefault(s => s.Parameter == name);
            if (segment is null)
            {
                Assert.Equal(before, after); // BatchNorm, fc, biases, buffers: untouched
                continue;
            }
            int rowBytes = before.Length / (int)segment.Shape[0];
            var gradient = gradients[layout.Segments.ToList().IndexOf(segment)].data<float>().ToArray();
            for (int row = 0; row < segment.Shape[0]; row++)
            {
                var b = before.AsSpan(row * rowBytes, rowBytes);
                var a = after.AsSpan(row * rowBytes, rowBytes);
                if (!chosenRows.Contains((name, row))) { Assert.True(b.SequenceEqual(a), $"{name}[{row}] changed but was not chosen"); continue; }
                Assert.False(b.SequenceEqual(a), $"{name}[{row}] was chosen but did not change");
                for (int i = 0; i < rowBytes / 4; i++)
                {
                    float w = BitConverter.ToSingle(b[(i * 4)..]), w2 = BitConverter.ToSingle(a[(i * 4)..]);
                    double expected = w - step * gradient[row * rowBytes / 4 + i];
                    Assert.True(Math.Abs(expected - w2) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}[{row}] entry {i}: expected {expected}, got {w2}");
                }
            }
        }
        var restored = Snapshot(model);
        foreach (var (name, bytes) in original) Assert.Equal(bytes, restored[name]);
    }

    [Fact]
    public void K_broken_and_delta_accuracy_match_a_step_taken_by_hand_and_every_trial_starts_from_the_original()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 53);
        using var data = TinyModels.Dataset(40, 12, seed: 54);
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Compute(profiler, data);
        using var index = SaliencyIndex.Build(profiler, statistics, data);
        var options = new FineTuningOptions { K = 30, Neighbors = 6 };
        var experiment = new FineTuningExperiment(model, statistics, index, data, options);
        var before = Evaluator.Predict(model, data.Images).Predictions;
        int sample = Enumerable.Range(0, 40).First(i => before[i] != data.LabelArray[i]);
        var original = Snapshot(model);

        foreach (var (choice, step) in new[] { (FilterChoice.TopSalient, 2.0), (FilterChoice.Random, 2.0), (FilterChoice.All, 0.5) })
        {
            var trial = experiment.Trial(sample, choice, step, seed: 3);
            // By hand on a copy: the same rows, w ← w − η·g, then classify everything.
            using var copy = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 99);
            copy.load_state_dict(model.state_dict());
            copy.eval();
            var layout = ProfileLayout.For(copy, Aggregation.FilterWise);
            var weights = layout.Segments.Select(s => copy.parameters().ElementAt(s.ParameterIndex)).ToArray();
            var loss = nn.functional.cross_entropy(copy.call(data.Images.narrow(0, sample, 1)), data.Labels.narrow(0, sample, 1));
            var gradients = autograd.grad([loss], weights);
            int[] filters = experiment.Filters(sample, choice, seed: 3);
            using Scalar stepSize = step;
            using (no_grad())
                foreach (int f in filters)
                {
                    var filter = layout.Filters[f];
                    int s = layout.Segments.ToList().FindIndex(g => g.Parameter == filter.Parameter);
                    weights[s][filter.Channel].sub_(gradients[s][filter.Channel] * stepSize);
                }
            var after = Evaluator.Predict(copy, data.Images).Predictions;
            int[] neighbours = index.Neighbors(sample, 6).Entries.Select(e => e.Index).ToArray();
            Assert.Equal(sample, neighbours[0]);
            int k = neighbours.Count(i => before[i] != data.LabelArray[i] && after[i] == data.LabelArray[i]);
            int broken = neighbours.Count(i => before[i] == data.LabelArray[i] && after[i] != data.LabelArray[i]);
            double deltaA = 100.0 * (after.Where((p, i) => p == data.LabelArray[i]).Count() - before.Where((p, i) => p == data.LabelArray[i]).Count()) / 40;
            Assert.Equal(k, trial.K);
            Assert.Equal(broken, trial.Broken);
            Assert.Equal(deltaA, trial.DeltaAccuracyPoints, 9);
            Assert.Equal(after[sample] == data.LabelArray[sample], trial.SampleCorrected);
            var restored = Snapshot(model);
            foreach (var (name, bytes) in original) Assert.Equal(bytes, restored[name]);
        }
        Assert.Equal(30, experiment.Filters(sample, FilterChoice.LeastSalient).Length);
        Assert.Equal(experiment.Filters(sample, FilterChoice.Random, 4), experiment.Filters(sample, FilterChoice.Random, 4));
    }

    [Fact]
    public void Table_rows_aggregate_trials_with_mean_and_sample_std()
    {
        var trials = new[]
        {
            new FineTuningTrial(7, FilterChoice.Random, 1e-3, 0, 5, 1, 0, true, 0.9, 0.89996),
            new FineTuningTrial(7, FilterChoice.Random, 1e-3, 1, 5, 3, 2, false, 0.9, 0.90),
            new FineTuningTrial(7, FilterChoice.TopSalient, 1e-3, 0, 5, 4, 1, true, 0.9, 0.91),
        };
        var table = new FineTuningTable("Table 1", FashionMnist.ClassNames, Enumerable.Repeat(9, 10).ToArray(), Enumerable.Repeat(7, 10).ToArray(), 10, 5, 100, trials);
        var random = table.Rows.Single(r => r.Choice == FilterChoice.Random);
        Assert.Equal(2, random.KMean);
        Assert.Equal(Math.Sqrt(2), random.KStd, 12);
        Assert.Equal(0.5, random.SampleCorrectedShare);
        Assert.Contains("| 7 | Ankle boot → Sneaker | 5 random | 0.001 | 2 | 2.0 ± 1.41 | 1.0 ± 1.41 | 50 % | 0.00 ± 0.00 |", table.ToMarkdown());
        Assert.Contains("| top-5 salient | 0.001 | 1 | 4.0 | 1.0 | 100 % | +1.00 |", table.ToMarkdown());
        Assert.Equal(3, table.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Pooled_rows_average_over_samples_and_seeds_of_one_choice_and_step()
    {
        var trials = new[]
        {
            new FineTuningTrial(7, FilterChoice.Random, 1e-2, 0, 5, 1, 0, true, 0.9, 0.88),
            new FineTuningTrial(7, FilterChoice.Random, 1e-2, 1, 5, 3, 2, false, 0.9, 0.90),
            new FineTuningTrial(8, FilterChoice.Random, 1e-2, 0, 5, 5, 1, true, 0.9, 0.86),
            new FineTuningTrial(8, FilterChoice.Random, 1e-1, 0, 5, 0, 0, false, 0.9, 0.90),
            new FineTuningTrial(7, FilterChoice.TopSalient, 1e-2, 0, 5, 4, 1, true, 0.9, 0.91),
        };
        var table = new FineTuningTable("Step sweep", FashionMnist.ClassNames, Enumerable.Repeat(9, 10).ToArray(), Enumerable.Repeat(7, 10).ToArray(), 10, 5, 100, trials);
        var pooled = table.Pooled();
        Assert.Equal([(FilterChoice.TopSalient, 1e-2), (FilterChoice.Random, 1e-2), (FilterChoice.Random, 1e-1)], pooled.Select(p => (p.Choice, p.StepSize)));
        var random = pooled[1];
        Assert.Equal((2, 3), (random.Samples, random.Trials));
        Assert.Equal(3.0, random.KMean, 12);                 // (1 + 3 + 5) / 3
        Assert.Equal(2.0, random.KStd, 12);                  // sample std of 1, 3, 5
        Assert.Equal(1.0, random.BrokenMean, 12);
        Assert.Equal(-2.0, random.DeltaMean, 9);              // (-2 + 0 - 4) / 3 points
        Assert.Equal(2.0, random.DeltaStd, 9);
        Assert.Equal(2.0 / 3, random.SampleCorrectedShare, 12);
    }

    [Fact]
    public void Default_k_is_four_per_mille_of_the_filters_rounded_up()
    {
        Assert.Equal(5, new FineTuningOptions().KFor(1200));
        Assert.Equal(1, new FineTuningOptions().KFor(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FineTuningOptions { SubsetStepSize = -1 }.Validate(1200));
    }
}
