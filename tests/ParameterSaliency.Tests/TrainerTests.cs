using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Training;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Runs alone (the non-parallel collection): weight initialisation and augmentation draw from libtorch's process-wide
/// generator, so a test drawing random numbers on another thread at the same time made two runs with the same seed
/// differ (seen once in eight full runs).
/// </summary>
[Collection(Alone.Name)]
public class TrainerTests
{
    static (ResNet Model, IReadOnlyList<EpochSummary> History) TrainSmall(ImageDataset data, int seed)
    {
        var trainer = new Trainer(new TrainingOptions { Epochs = 3, BatchSize = 64, Seed = seed, Limit = 512, MaxLearningRate = 0.05 });
        var model = trainer.Initialise(() => new ResNet(ResNetConfig.CifarResNet18(width: 8))); // width 8: its 4-channel layers once gave batch gradients unlike single-image ones on an AMD EPYC
        var history = trainer.Train(model, data);
        return (model, history);
    }

    [Fact]
    public void The_seed_decides_the_initial_weights_whatever_was_drawn_before()
    {
        static ResNet Build(int seed) => new Trainer(new TrainingOptions { Seed = seed }).Initialise(() => new ResNet(ResNetConfig.CifarResNet18(width: 8)));
        using var first = Build(3);
        using (randn(1000)) { } // the process-wide generator moves on
        manual_seed(12345);
        using var again = Build(3);
        using var other = Build(4);
        foreach (var (name, tensor) in first.state_dict().Where(p => p.Key.EndsWith("weight", StringComparison.Ordinal) && p.Key.Contains("conv")))
        {
            Assert.True(tensor.bytes.SequenceEqual(again.state_dict()[name].bytes), $"{name}: the same seed gave other initial weights");
            Assert.False(tensor.bytes.SequenceEqual(other.state_dict()[name].bytes), $"{name}: seeds 3 and 4 gave the same initial weights");
        }
    }

    [Fact]
    public void Smoke_training_lowers_the_loss_and_is_reproducible_from_its_seed()
    {
        var test = SharedData.TestSplit;
        var (first, history) = TrainSmall(test, 7);
        var (second, _) = TrainSmall(test, 7);
        using (first)
        using (second)
        {
            Assert.All(history, h => Assert.True(double.IsFinite(h.Loss)));
            Assert.True(history[^1].Loss < history[0].Loss * 0.9, $"loss {history[0].Loss:F3} -> {history[^1].Loss:F3}");
            Assert.True(history[^1].TrainAccuracy > 0.3, $"train accuracy {history[^1].TrainAccuracy:P1}");
            foreach (var (name, tensor) in first.state_dict())
                Assert.True(tensor.bytes.SequenceEqual(second.state_dict()[name].bytes), $"{name} differs between two runs with the same seed");
        }
    }

    [Fact]
    public void Invalid_options_are_refused_before_training()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { BatchSize = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { MaxLearningRate = double.NaN }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Epochs = 0 }.Validate());
    }
}
