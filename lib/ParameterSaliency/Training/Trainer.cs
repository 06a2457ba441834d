using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using static TorchSharp.torch;

namespace ParameterSaliency.Training;

/// <summary>Trains a classifier with <see cref="TrainingOptions"/>; every step runs in its own dispose scope.</summary>
/// <param name="options">The training recipe: epochs, batch size, schedule, SGD settings, seed and augmentation.</param>
public sealed class Trainer(TrainingOptions options)
{
    /// <summary>
    /// Builds a model with initial weights drawn from libtorch's generator seeded with <see cref="TrainingOptions.Seed"/>,
    /// with no other draw in between: the same seed gives the same initial weights, whatever ran before.
    /// <example><code>var trainer = new Trainer(options); var model = trainer.Initialise(() => new ResNet(config)); trainer.Train(model, train);</code></example>
    /// </summary>
    /// <typeparam name="TModule">The module type <paramref name="build"/> returns.</typeparam>
    /// <param name="build">Builds the model; called once, right after the generator is seeded.</param>
    public TModule Initialise<TModule>(Func<TModule> build) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(build);
        return Runtime.GlobalRandom.Seeded(options.Seed, build);
    }

    /// <summary>Trains <paramref name="model"/> in place on <paramref name="train"/>; evaluates on <paramref name="test"/> after each epoch when given.</summary>
    /// <param name="model">The classifier, trained in place on its parameters' device; left in eval mode.</param>
    /// <param name="train">Training images and labels; at least 2 images.</param>
    /// <param name="test">Images evaluated after every epoch; null to skip.</param>
    /// <param name="progress">Receives a <see cref="TrainingProgress"/> every 10 steps and at each epoch's end; null for none.</param>
    /// <param name="cancellation">Checked before every step.</param>
    public IReadOnlyList<EpochSummary> Train(nn.Module<Tensor, Tensor> model, ImageDataset train, ImageDataset? test = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (train.Count < 2) throw new ArgumentException($"{train.Name}: need at least 2 training images, got {train.Count}.");
        var device = model.parameters().First().device;
        int count = Math.Min(train.Count, options.Limit ?? int.MaxValue);
        int steps = (count + options.BatchSize - 1) / options.BatchSize;
        if (count % options.BatchSize == 1) steps--; // a last batch of one image would break BatchNorm: drop it
        using var trainLabels = LabelsTrainedOn(train, count, options.PermutedLabelsSeed);
        var random = new Random(options.Seed);
        var augmentation = new BatchAugmentation(train.Normalization, random);
        optim.Optimizer optimizer = options.Optimizer == TrainingOptimizer.AdamW
            ? optim.AdamW(model.parameters(), options.MaxLearningRate, weight_decay: options.WeightDecay)
            : optim.SGD(model.parameters(), options.MaxLearningRate, momentum: options.Momentum, weight_decay: options.WeightDecay, nesterov: options.Nesterov);
        var oneCycle = options.Schedule is OneCycleSchedule ? optim.lr_scheduler.OneCycleLR(optimizer, options.MaxLearningRate, total_steps: steps * options.Epochs) : null;
        double rate = options.MaxLearningRate;
        var history = new List<EpochSummary>();
        var clock = Stopwatch.StartNew();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            if (options.Schedule is MultiStepSchedule multiStep)
                foreach (var group in optimizer.ParamGroups) group.LearningRate = multiStep.RateAt(options.MaxLearningRate, epoch);
            model.train();
            var epochClock = Stopwatch.StartNew();
            int[] order = Enumerable.Range(0, count).ToArray();
            random.Shuffle(order);
            double lossSum = 0;
            long correct = 0, seen = 0;
            using var busy = Runtime.CoreShare.Busy();
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                busy.Tick();
                using var scope = NewDisposeScope();
                int size = Math.Min(options.BatchSize, count - step * options.BatchSize);
                long[] batchIndices = order.AsSpan(step * options.BatchSize, size).ToArray().Select(i => (long)i).ToArray();
                var index = tensor(batchIndices);
                var inputs = train.Images.index_select(0, index);
                if (options.Augment) inputs = augmentation.Apply(inputs);
                if (options.BatchTransform is not null) inputs = options.BatchTransform(inputs, batchIndices);
                inputs = inputs.to(device);
                var labels = trainLabels.index_select(0, index).to(device);
                optimizer.zero_grad();
                var logits = model.call(inputs);
                var loss = nn.functional.cross_entropy(logits, labels);
                loss.backward();
                rate = optimizer.ParamGroups.First().LearningRate;
                optimizer.step();
                oneCycle?.step();
                lossSum += loss.item<float>() * size;
                correct += logits.argmax(1).eq(labels).sum().item<long>();
                seen += size;
                if (progress is not null && step % 10 == 9 && step < steps - 1) // the epoch's end is reported below, once
                {
                    double done = (epoch - 1 + (step + 1.0) / steps) / options.Epochs;
                    progress.Report(new TrainingProgress(epoch, options.Epochs, step + 1, steps, lossSum / seen, (double)correct / seen,
                        clock.Elapsed, TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (1 - done) / done), null, rate));
                }
            }
            double? testAccuracy = test is null ? null : Evaluator.Evaluate(model, test).Accuracy;
            var summary = new EpochSummary(epoch, lossSum / seen, (double)correct / seen, testAccuracy, epochClock.Elapsed, rate);
            history.Add(summary);
            double fraction = (double)epoch / options.Epochs;
            progress?.Report(new TrainingProgress(epoch, options.Epochs, steps, steps, summary.Loss, summary.TrainAccuracy,
                clock.Elapsed, TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (1 - fraction) / fraction), testAccuracy, rate));
        }
        model.eval();
        return history;
    }

    /// <summary>
    /// The labels the first <paramref name="count"/> images of <paramref name="train"/> are trained with: their own, or, with
    /// <paramref name="permutationSeed"/>, the same labels shuffled among them (a Fisher–Yates shuffle seeded by it).
    /// </summary>
    /// <param name="train">The training data.</param>
    /// <param name="count">How many of its first images are trained on.</param>
    /// <param name="permutationSeed">Seed of the permutation; null for the true labels.</param>
    public static Tensor LabelsTrainedOn(ImageDataset train, int count, int? permutationSeed)
    {
        var labels = train.LabelArray.Take(count).Select(l => (long)l).ToArray();
        if (permutationSeed is int seed) new Random(seed).Shuffle(labels);
        return tensor(labels);
    }
}
