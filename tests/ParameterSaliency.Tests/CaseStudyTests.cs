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
