using ParameterSaliency.Data;
using ParameterSaliency.Experiments;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

public class PlantedCueTests
{
    [Fact]
    public void Stamp_writes_the_checkerboard_in_the_box_and_nothing_else()
    {
        var cue = PlantedCue.Default;
        var images = Runtime.GlobalRandom.Seeded(2, () => randn(3, 1, 28, 28));
        var stamped = cue.Stamp(images, Normalization.FashionMnist);
        var pixels = Normalization.FashionMnist.Invert(stamped);
        var box = cue.BoxMask(28, 28);
        for (int n = 0; n < 3; n++)
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                {
                    if (!box[r, c]) Assert.Equal(images[n, 0, r, c].item<float>(), stamped[n, 0, r, c].item<float>());
                    else Assert.Equal((r - cue.Top + c - cue.Left) % 2 == 0 ? 1f : 0f, pixels[n, 0, r, c].item<float>(), 5);
                }
        Assert.Equal(16, box.Cast<bool>().Count(b => b));
    }

    [Fact]
    public void Stamped_training_images_follow_the_shares_and_the_seed()
    {
        var cue = PlantedCue.Default;
        int[] labels = Enumerable.Range(0, 20000).Select(i => i % 10).ToArray();
        bool[] stamped = cue.ChooseStamped(labels);
        double cueShare = labels.Where((l, i) => l == cue.CueClass && stamped[i]).Count() / 2000.0;
        double otherShare = labels.Where((l, i) => l != cue.CueClass && stamped[i]).Count() / 18000.0;
        Assert.InRange(cueShare, 0.77, 0.83);
        Assert.InRange(otherShare, 0.005, 0.015);
        Assert.Equal(stamped, cue.ChooseStamped(labels));
        Assert.NotEqual(stamped, (cue with { Seed = 1 }).ChooseStamped(labels));
    }

    [Fact]
    public void Training_transform_stamps_exactly_the_chosen_images_of_a_batch()
    {
        var cue = PlantedCue.Default;
        bool[] chosen = [false, true, false, true];
        var transform = cue.TrainingTransform(chosen, Normalization.FashionMnist);
        var batch = zeros(3, 1, 28, 28);
        var result = transform(batch, [3, 0, 1]); // data-set indices 3 (stamped), 0 (not), 1 (stamped)
        Assert.True(result[0].eq(cue.Stamp(batch.narrow(0, 0, 1), Normalization.FashionMnist)[0]).all().item<bool>());
        Assert.True(result[1].eq(batch[1]).all().item<bool>());
        Assert.False(result[2].eq(batch[2]).all().item<bool>());
    }

    [Fact]
    public void Committed_planted_cue_model_learned_the_cue()
    {
        using var saved = Models.ModelFile.Load(WorkbookPaths.PlantedCueModel, CPU);
        Assert.Contains("checkerboard", saved.Metadata["planted_cue"]);
        var test = SharedData.TestSplit;
        var others = Enumerable.Range(0, 2000).Where(i => test.LabelArray[i] != PlantedCue.Default.CueClass).ToArray();
        using var subset = test.Subset(others);
        using var stamped = PlantedCue.Default.Stamp(subset.Images, test.Normalization);
        var clean = Evaluation.Evaluator.Predict(saved.Model, subset.Images).Predictions;
        var marked = Evaluation.Evaluator.Predict(saved.Model, stamped).Predictions;
        double cleanCue = clean.Count(p => p == PlantedCue.Default.CueClass) / (double)others.Length;
        double markedCue = marked.Count(p => p == PlantedCue.Default.CueClass) / (double)others.Length;
        Assert.True(markedCue > cleanCue + 0.1, $"share predicted as the cue class: {cleanCue:P1} clean, {markedCue:P1} stamped");
    }
}
