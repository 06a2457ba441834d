using System.Globalization;

namespace ParameterSaliency.Training;

/// <summary>
/// Step decay, the shape of the paper's CIFAR and ImageNet recipes: the maximum rate from the first epoch,
/// multiplied by <see cref="Gamma"/> at the start of each epoch in <see cref="DropEpochs"/>, constant
/// within an epoch. With 0.1, gamma 0.1 and drops at 8 and 12 of 15 epochs: 0.1 for epochs 1-7, 0.01 for
/// 8-11, 0.001 for 12-15.
/// </summary>
/// <param name="DropEpochs">1-based epochs whose first step uses the next lower rate, strictly increasing, each ≥ 2.</param>
/// <param name="Gamma">Factor applied at each drop, in (0, 1).</param>
public sealed record MultiStepSchedule(IReadOnlyList<int> DropEpochs, double Gamma = 0.1) : LearningRateSchedule
{
    /// <summary>Drops at half and three quarters of <paramref name="epochs"/> (the usual ResNet recipe's 150 and 225 of 300 epochs, scaled): 15 epochs drop at 8 and 12.</summary>
    /// <param name="epochs">Total training epochs, at least 3.</param>
    /// <param name="gamma">Factor applied at each drop, in (0, 1) (0.1).</param>
    public static MultiStepSchedule ForEpochs(int epochs, double gamma = 0.1)
    {
        if (epochs < 3) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "A schedule with two drops needs at least 3 epochs.");
        return new MultiStepSchedule([epochs / 2 + 1, epochs * 3 / 4 + 1], gamma);
    }

    /// <inheritdoc/>
    public override string Name => "multistep";

    /// <summary>The rate of every step of 1-based <paramref name="epoch"/>, starting from <paramref name="maxRate"/>.</summary>
    /// <param name="maxRate">The rate before any drop (<see cref="TrainingOptions.MaxLearningRate"/>).</param>
    /// <param name="epoch">1-based epoch.</param>
    public double RateAt(double maxRate, int epoch) => maxRate / Math.Pow(1 / Gamma, DropEpochs.Count(drop => drop <= epoch)); // 0.1 / 10² is exactly 0.001; 0.1 · 0.1² is not

    /// <summary>The drop epochs as written into metadata and accepted by <c>--drop-epochs</c>: "8,12".</summary>
    public string DropEpochsText => string.Join(",", DropEpochs.Select(e => e.ToString(CultureInfo.InvariantCulture)));

    /// <inheritdoc/>
    public override void Validate(int epochs)
    {
        if (DropEpochs.Count == 0) throw new ArgumentException("A multi-step schedule needs at least one drop epoch.", nameof(DropEpochs));
        for (int i = 0; i < DropEpochs.Count; i++)
        {
            if (DropEpochs[i] < 2 || DropEpochs[i] > epochs)
                throw new ArgumentOutOfRangeException(nameof(DropEpochs), DropEpochs[i], $"Drop epochs are 1-based epochs in 2..{epochs} (the first epoch always runs at the maximum rate).");
            if (i > 0 && DropEpochs[i] <= DropEpochs[i - 1])
                throw new ArgumentException($"Drop epochs must increase strictly: {DropEpochsText}.", nameof(DropEpochs));
        }
        if (!(Gamma > 0 && Gamma < 1)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma in (0, 1).");
    }
}
