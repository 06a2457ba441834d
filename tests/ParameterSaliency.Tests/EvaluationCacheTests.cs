using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>The cached classification a notebook reads instead of classifying the test split again.</summary>
public class EvaluationCacheTests
{
    sealed class Calls : IProgress<(int Done, int Total)>
    {
        public int Count;
        public void Report((int Done, int Total) value) => Count++;
    }

    [Fact]
    public void A_cached_report_is_the_models_own_argmax_and_softmax_and_another_model_other_images_or_a_damaged_file_are_classified_again()
    {
        var config = ResNetConfig.CifarResNet18(width: 4);
        using var model = TinyModels.Build(config, seed: 11);
        using var other = TinyModels.Build(config, seed: 12);
        var data = TinyModels.Dataset(24, 28, seed: 13);
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "model.random.evaluation.safetensors");
        var log = new StringWriter();

        var computing = new Calls();
        var computed = EvaluationCache.LoadOrEvaluate(path, model, data, computing, log);
        Assert.True(computing.Count > 0 && File.Exists(path));
        var reading = new Calls();
        var read = EvaluationCache.LoadOrEvaluate(path, model, data, reading, log);
        Assert.Equal(0, reading.Count); // read, not classified
        Assert.Equal("", log.ToString());

        // Independently: argmax and softmax of the model's logits, image by image.
        using (no_grad())
            for (int i = 0; i < data.Count; i++)
            {
                using var logits = model.call(data.Images.narrow(0, i, 1)).to(ScalarType.Float64);
                using var softmax = nn.functional.softmax(logits, 1);
                using var top2 = logits.topk(2, 1).values;
                // A near-tie may fall either way between a batch of 24 and one image, on any processor's kernels.
                if (top2[0, 0].item<double>() - top2[0, 1].item<double>() > 1e-4)
                    Assert.Equal(logits.argmax(1).item<long>(), (long)read.Predictions[i]);
                for (int c = 0; c < data.ClassNames.Count; c++)
                    Assert.Equal(softmax[0, c].item<double>(), read.Probability(i, c), 1e-5);
            }
        Assert.Equal(computed.Predictions, read.Predictions);
        Assert.Equal(data.LabelArray, read.Labels);

        var otherModel = EvaluationCache.LoadOrEvaluate(path, other, data, null, log);
        Assert.Contains("other weights", log.ToString());
        Assert.Equal(Evaluator.Evaluate(other, data).Predictions, otherModel.Predictions);

        var otherImages = TinyModels.Dataset(24, 28, seed: 14);
        EvaluationCache.LoadOrEvaluate(path, other, otherImages, null, log);
        Assert.Contains("other images", log.ToString());

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        var again = new Calls();
        var repaired = EvaluationCache.LoadOrEvaluate(path, other, otherImages, again, log);
        Assert.True(again.Count > 0, "a damaged cache was used");
        Assert.Equal(Evaluator.Evaluate(other, otherImages).Predictions, repaired.Predictions);
    }
}
