using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Training;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>The multi-step schedule (issue 15) and the one-cycle end point, checked against hand-written rates and against the steps the weights actually took.</summary>
[Collection(Alone.Name)] // trains: libtorch's process-wide generator (see TrainerTests)
public class LearningRateScheduleTests
{
    [Fact]
    public void Fifteen_epochs_drop_at_8_and_12_and_end_on_a_thousandth()
    {
        double[] expected = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001];
        var schedule = MultiStepSchedule.ForEpochs(15);
        Assert.Equal([8, 12], schedule.DropEpochs);
        for (int epoch = 1; epoch <= 15; epoch++)
            Assert.Equal(expected[epoch - 1], schedule.RateAt(0.1, epoch), 1e-15);
        Assert.Equal(0.001, schedule.RateAt(0.1, 15)); // exactly the literal: it is written into metadata and read back as a step size
    }

    [Fact]
    public void Each_epoch_steps_the_weights_by_its_scheduled_rate()
    {
        // One step per epoch over the same 64 images, plain SGD (no momentum, no weight decay, no augmentation): the weights
        // of epoch e move by exactly -η_e · ∇L(w_{e-1}). The realised η_e, measured from the weights, must match the list.
        double[] expected = [0.1, 0.1, 0.01, 0.01, 0.001];
        var options = new TrainingOptions
        {
            Epochs = 5, BatchSize = 64, Limit = 64, Seed = 5, Augment = false, Momentum = 0, Nesterov = false, WeightDecay = 0,
            Schedule = new MultiStepSchedule([3, 5]),
        };
        var config = ResNetConfig.CifarResNet18(width: 8);
        var trainer = new Trainer(options);
        using var model = trainer.Initialise(() => new ResNet(config));
        var snapshots = new List<Dictionary<string, Tensor>> { Snapshot(model) };
        var history = trainer.Train(model, SharedData.TestSplit, progress: new EachEpoch(p => snapshots.Add(Snapshot(model))));

        Assert.Equal(expected, history.Select(h => h.LearningRate).ToArray());
        using var probe = new ResNet(config);
        var batch = SharedData.TestSplit.Images.narrow(0, 0, 64);
        var labels = SharedData.TestSplit.Labels.narrow(0, 0, 64);
        for (int epoch = 1; epoch <= expected.Length; epoch++)
        {
            using var scope = NewDisposeScope();
            probe.load_state_dict(snapshots[epoch - 1]);
            probe.train();
            probe.zero_grad();
            nn.functional.cross_entropy(probe.call(batch), labels).backward();
            double moved = 0, squared = 0;
            foreach (var (name, parameter) in probe.named_parameters())
            {
                var gradient = parameter.grad!.to(ScalarType.Float64);
                var step = (snapshots[epoch][name] - snapshots[epoch - 1][name]).to(ScalarType.Float64);
                moved -= step.mul(gradient).sum().item<double>();
                squared += gradient.square().sum().item<double>();
            }
            double realised = moved / squared; // least-squares η with Δw = -η g
            Assert.True(Math.Abs(realised - expected[epoch - 1]) < 0.01 * expected[epoch - 1], $"epoch {epoch}: the weights moved by η = {realised:G4}, the schedule says {expected[epoch - 1]}");
        }
        foreach (var snapshot in snapshots) foreach (var tensor in snapshot.Values) tensor.Dispose();
    }

    [Fact]
    public void One_cycle_ends_on_the_peak_over_25_over_10_000()
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = 64, Limit = 128, Seed = 1, MaxLearningRate = 0.1, Augment = false };
        var trainer = new Trainer(options);
        using var model = trainer.Initialise(() => new ResNet(ResNetConfig.CifarResNet18(width: 8)));
        var history = trainer.Train(model, SharedData.TestSplit);
        Assert.Equal(0.1 / 25 / 1e4, history[^1].LearningRate, 1e-12);
        Assert.True(history[0].LearningRate > 0.05, $"mid-cycle rate {history[0].LearningRate}");
    }

    [Fact]
    public void A_schedule_that_does_not_fit_the_epochs_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Epochs = 10, Schedule = new MultiStepSchedule([1, 5]) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Epochs = 10, Schedule = new MultiStepSchedule([5, 11]) }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainingOptions { Epochs = 10, Schedule = new MultiStepSchedule([6, 6]) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Epochs = 10, Schedule = new MultiStepSchedule([5], Gamma: 1) }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainingOptions { Momentum = 0 }.Validate()); // Nesterov without momentum
    }

    [Fact]
    public void The_final_rate_is_read_from_metadata_or_its_absence_is_explained()
    {
        Assert.Equal(0.001, TrainingMetadata.FinalLearningRateOf(new Dictionary<string, string> { ["final_lr"] = "0.001" }, "m.safetensors"));
        var missing = Assert.Throws<InvalidDataException>(() => TrainingMetadata.FinalLearningRateOf(new Dictionary<string, string> { ["max_lr"] = "0.1" }, "old.safetensors"));
        Assert.Contains("old.safetensors", missing.Message);
        Assert.Contains("no 'final_lr' entry", missing.Message);
        Assert.Contains("--subset-step", missing.Message);
        foreach (string bad in new[] { "fast", "0", "-1e-3", "NaN", "Infinity" })
            Assert.Throws<InvalidDataException>(() => TrainingMetadata.FinalLearningRateOf(new Dictionary<string, string> { ["final_lr"] = bad }, "m"));
    }

    static Dictionary<string, Tensor> Snapshot(ResNet model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());

    /// <summary>Runs on the training thread at each epoch's end, reported once (unlike <see cref="Progress{T}"/>, which posts).</summary>
    sealed class EachEpoch(Action<TrainingProgress> onEpochEnd) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == value.StepsPerEpoch) onEpochEnd(value);
        }
    }
}
