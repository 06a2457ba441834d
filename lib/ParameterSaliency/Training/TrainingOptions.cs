namespace ParameterSaliency.Training;

/// <summary>Which optimizer a <see cref="Trainer"/> steps with.</summary>
public enum TrainingOptimizer
{
    /// <summary>SGD with momentum (Nesterov unless told): the ResNets' recipe.</summary>
    Sgd,
    /// <summary>AdamW (β = 0.9, 0.999, decoupled weight decay): the usual recipe for Vision Transformers.</summary>
    AdamW,
}

/// <summary>
/// The training recipe: SGD with momentum (Nesterov by default) or AdamW, weight decay, a learning-rate
/// schedule (one-cycle by default, or <see cref="MultiStepSchedule"/>), and (optionally) random
/// 2-pixel shifts and horizontal flips. Seeded: the same options on the same machine give the same weights.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 12;
    /// <summary>Images per SGD step.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>The largest learning rate: the one-cycle peak, or the multi-step schedule's starting rate.</summary>
    public double MaxLearningRate { get; init; } = 0.1;
    /// <summary>How the learning rate moves: <see cref="OneCycleSchedule"/> (default) or <see cref="MultiStepSchedule"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = new OneCycleSchedule();
    /// <summary>The optimizer: SGD (default) or AdamW; <see cref="Momentum"/> and <see cref="Nesterov"/> belong to SGD.</summary>
    public TrainingOptimizer Optimizer { get; init; } = TrainingOptimizer.Sgd;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Nesterov momentum (the default model's recipe); false for the classic heavy-ball momentum of the paper's recipes.</summary>
    public bool Nesterov { get; init; } = true;
    /// <summary>Weight decay: L2 for SGD, decoupled for AdamW.</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Seed of the shuffling and the augmentation, and of the initial weights of a model built by <see cref="Trainer.Initialise{TModule}"/>.</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Random shifts of up to 2 pixels and horizontal flips.</summary>
    public bool Augment { get; init; } = true;
    /// <summary>Train on only the first N images (a smoke test); null for all.</summary>
    public int? Limit { get; init; }
    /// <summary>
    /// Data randomisation (Adebayo et al. 2018, SPEC §9): when set, the labels of the images trained on are permuted among
    /// themselves with this seed, so the model can only fit them by memorising; null (the default) for the true labels.
    /// </summary>
    public int? PermutedLabelsSeed { get; init; }
    /// <summary>
    /// Applied to every training batch after augmentation: (inputs [B, C, H, W], data-set indices of the
    /// batch) → inputs. Used to plant a cue that must not move with the shifts; null for none.
    /// </summary>
    public Func<TorchSharp.torch.Tensor, long[], TorchSharp.torch.Tensor>? BatchTransform { get; init; }

    /// <summary>Rejects values that would fail later or train nothing.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "At least one epoch.");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchNorm needs batches of at least 2 images.");
        if (!(MaxLearningRate > 0) || double.IsInfinity(MaxLearningRate)) throw new ArgumentOutOfRangeException(nameof(MaxLearningRate), MaxLearningRate, "A positive, finite learning rate.");
        if (Momentum < 0 || Momentum >= 1) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum in [0, 1).");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Non-negative weight decay.");
        ArgumentNullException.ThrowIfNull(Schedule);
        Schedule.Validate(Epochs);
        if (Nesterov && Momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0.", nameof(Nesterov));
        if (Limit is < 2) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "At least 2 images.");
    }
}

/// <summary>Where a training run stands; reported after every step.</summary>
/// <param name="Epoch">1-based current epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">SGD steps per epoch.</param>
/// <param name="Loss">Mean cross-entropy L over this epoch's training images so far.</param>
/// <param name="TrainAccuracy">Fraction of this epoch's training images so far classified correctly (in train mode).</param>
/// <param name="Elapsed">Time since training began.</param>
/// <param name="Remaining">Estimated time left, extrapolated from the fraction done.</param>
/// <param name="TestAccuracy">Test accuracy after this epoch, reported at its end when a test set is given; else null.</param>
/// <param name="LearningRate">The rate the latest step used.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss, double TrainAccuracy, TimeSpan Elapsed, TimeSpan Remaining, double? TestAccuracy, double LearningRate)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs} step {Step}/{StepsPerEpoch}  lr {LearningRate:G3}  loss {Loss:F4}  train acc {TrainAccuracy:P2}" +
        (TestAccuracy is double test ? $"  test acc {test:P2}" : "") +
        $"  elapsed {Elapsed:hh\\:mm\\:ss}  left {Remaining:hh\\:mm\\:ss}";
}

/// <summary>One finished epoch; <paramref name="LearningRate"/> is the rate its last step used.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">Mean cross-entropy L over the epoch's training images.</param>
/// <param name="TrainAccuracy">Fraction of the epoch's training images classified correctly (in train mode).</param>
/// <param name="TestAccuracy">Accuracy on the test set after the epoch; null without one.</param>
/// <param name="Duration">Wall-clock time of the epoch, evaluation included.</param>
/// <param name="LearningRate">The rate the epoch's last step used.</param>
public sealed record EpochSummary(int Epoch, double Loss, double TrainAccuracy, double? TestAccuracy, TimeSpan Duration, double LearningRate);
