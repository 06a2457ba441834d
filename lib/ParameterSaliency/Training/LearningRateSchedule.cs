namespace ParameterSaliency.Training;

/// <summary>
/// How the learning rate moves during training. <see cref="OneCycleSchedule"/> (the default model's) ends
/// near zero; <see cref="MultiStepSchedule"/> (the paper's models') ends on a fixed small rate that a
/// fine-tuning step can reuse (Appendix D: "the learning rate of the last epoch").
/// </summary>
public abstract record LearningRateSchedule
{
    /// <summary>The name written into a weights file's <c>schedule</c> metadata.</summary>
    public abstract string Name { get; }

    /// <summary>Rejects a schedule that does not fit <paramref name="epochs"/>.</summary>
    /// <param name="epochs">Number of training epochs the schedule must fit.</param>
    public virtual void Validate(int epochs) { }
}

/// <summary>
/// One-cycle (Smith): the rate climbs from max/25 to the maximum over the first 30 % of the steps, then
/// anneals (cosine) to max/25/10⁴ at the last step; updated after every step.
/// </summary>
public sealed record OneCycleSchedule : LearningRateSchedule
{
    /// <inheritdoc/>
    public override string Name => "one-cycle";
}
