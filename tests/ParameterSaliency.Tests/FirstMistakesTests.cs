using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;

namespace ParameterSaliency.Tests;

/// <summary>The sanity check's mistakes, found by classifying only as far as needed, are those of a full evaluation.</summary>
public class FirstMistakesTests
{
    [Fact]
    public void The_first_mistakes_are_the_full_evaluations_first_mistakes_across_chunk_boundaries()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 4), seed: 21);
        var data = TinyModels.Dataset(1100, 28, seed: 22); // more than two chunks of 512
        var all = Evaluator.Evaluate(model, data).Misclassified;
        Assert.True(all.Count > 600, $"{all.Count} mistakes: too few to reach the third chunk");
        foreach (int count in new[] { 1, 12, all.Count - 1, all.Count, all.Count + 5 })
            Assert.Equal(all.Take(count), Evaluator.FirstMistakes(model, data, count));
    }
}
