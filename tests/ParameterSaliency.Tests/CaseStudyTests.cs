using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Masking, pasting and inversion on the committed model, checked against direct evaluations.</summary>
public class CaseStudyTests(DefaultModelFixture defaultModel) : IClassFixture<DefaultModelFixture>
{
    [Fact]
    public void Masking_report_probabilities_are_those_of_the_edited_images()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var region = RegionMask.Rectangle(28, 28, 8, 8, 10, 10);
        var report = Masking.Compare(model, test, 12, region, MaskFill.DatasetMean, controlSeed: 1);
        var direct = Evaluator.Predict(model, stack([test.Images[12], RegionEdits.Mask(test.Images[12], region, MaskFill.DatasetMean, test.Normalization)]));
        Assert.Equal(direct.Predictions[0], report.PredictedClass);
        Assert.Equal(direct.Probabilities[1, report.TrueClass], report.SalientMasked.Probabilities[report.TrueClass], 6);
        Assert.Equal(report.SalientMasked.Prediction != report.Original.Prediction, report.SalientFlipsLabel);
        Assert.Equal(100, report.Control.Count);
        Assert.DoesNotContain(Enumerable.Range(0, 784), p => report.Control.Pixels[p] && region.Pixels[p]);
        Assert.Contains("<table>", ParameterSaliency.Imaging.HtmlViews.Of(report));
    }

    [Fact]
    public void Masking_over_many_images_tallies_what_masking_each_one_gives()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var heatmaps = new InputGradient(model).ExplainBatch(test.Images.narrow(0, 20, 6), test.Normalization, sourceIndices: [20, 21, 22, 23, 24, 25]);
        var summary = Masking.CompareMany(model, test, heatmaps, fraction: 0.1);
        int salientFlips = 0, controlFlips = 0;
        double salientDrop = 0;
        for (int n = 0; n < heatmaps.Count; n++)
        {
            var alone = Masking.Compare(model, test, 20 + n, RegionMask.TopFraction(heatmaps[n], 0.1), MaskFill.Black, controlSeed: n);
            salientFlips += alone.SalientFlipsLabel ? 1 : 0;
            controlFlips += alone.ControlFlipsLabel ? 1 : 0;
            salientDrop += alone.Original.Probabilities[alone.PredictedClass] - alone.SalientMasked.Probabilities[alone.PredictedClass];
        }
        Assert.Equal(6, summary.Images);
        Assert.Equal(salientFlips, summary.SalientFlips);
        Assert.Equal(controlFlips, summary.ControlFlips);
        Assert.Equal(salientDrop / 6, summary.MeanSalientDrop, 6);
        Assert.Throws<ArgumentException>(() => Masking.CompareMany(model, test, [], 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Masking.CompareMany(model, test, heatmaps, 1.5));
    }

    [Fact]
    public void SmoothGrad_wraps_any_explainer_and_averages_its_maps_over_the_noise_it_draws()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var inner = new InputGradient(model);
        var smooth = new SmoothGrad(inner, copies: 3, noise: 0.2, seed: 5).Explain(test, 7);
        // By hand: the same generator, the same draws, the inner map of each noisy copy for the clean image's class.
        var image = test.Images[7];
        int label = inner.Explain(test, 7).Label;
        using Scalar spread = (image.max() - image.min()).item<float>() * 0.2;
        var generator = new Generator(5);
        var sum = new double[smooth.Raw.Length];
        for (int copy = 0; copy < 3; copy++)
        {
            var noisy = image + randn(image.shape, image.dtype, generator: generator) * spread;
            var map = inner.Explain(noisy, test.Normalization, label);
            for (int p = 0; p < sum.Length; p++) sum[p] += map.Raw[p];
        }
        Assert.Equal(label, smooth.Label);
        for (int p = 0; p < sum.Length; p++) Assert.Equal(sum[p] / 3, smooth.Raw[p], 5);
        var noNoise = new SmoothGrad(inner, copies: 2, noise: 0).Explain(test, 7);
        Assert.Equal(inner.Explain(test, 7).Raw, noNoise.Raw);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothGrad(inner, copies: 0));
    }

    [Fact]
    public void Pasting_summary_counts_what_the_rows_show()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var region = RegionMask.Rectangle(28, 28, 0, 0, 14, 28);
        int[] targets = Enumerable.Range(0, 300).Where(i => test.LabelArray[i] == test.LabelArray[12] && i != 12).ToArray();
        var report = Pasting.Run(model, test, 12, region, targets, wrongClass: 5);
        Assert.Equal(targets.Length, report.Rows.Count);
        int increased = 0;
        foreach (var row in report.Rows)
        {
            var pasted = RegionEdits.Paste(test.Images[12], test.Images[row.TargetIndex], region);
            float after = Evaluator.Predict(model, pasted.unsqueeze(0)).Probabilities[0, 5];
            Assert.Equal(after, row.WrongAfter, 5);
            increased += row.WrongAfter > row.WrongBefore ? 1 : 0;
        }
        Assert.Equal(increased, report.Increased);
        Assert.Contains($"increased for {increased} of {targets.Length}", report.Summary);
    }

    [Fact]
    public void Inversion_moves_toward_the_target_and_leaves_the_model_untouched()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        string before = Fingerprints.Model(model);
        var inversion = new SaliencyInversion(model, SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics), test.Normalization,
            new InversionOptions { Steps = 12, LearningRate = 0.02, FrameEvery = 4 });
        var target = inversion.BoostedProfile(test.Images[12], test.LabelArray[12]);
        var result = inversion.Invert(target, test.LabelArray[12], start: test.Pixels(12));
        Assert.True(result.FinalDistance < result.Losses[0], $"cosine distance {result.Losses[0]} → {result.FinalDistance}");
        Assert.All(result.Pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal([0, 4, 8, 12], result.Frames.Select(f => f.Step));
        Assert.Equal(before, Fingerprints.Model(model));
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
    }
}
