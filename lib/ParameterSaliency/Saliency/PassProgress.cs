namespace ParameterSaliency.Saliency;

/// <summary>Where a long pass over images stands: images done, images per second and the time left.</summary>
/// <param name="Task">What the pass computes.</param>
/// <param name="Done">Images done, including those of an earlier run that this one resumed.</param>
/// <param name="Total">Images in the pass.</param>
/// <param name="Elapsed">Time spent by this run.</param>
/// <param name="DoneThisRun">Images done by this run (default: <paramref name="Done"/>), for the speed.</param>
public sealed record PassProgress(string Task, int Done, int Total, TimeSpan Elapsed, int? DoneThisRun = null)
{
    /// <summary>Images per second in this run.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds <= 0 ? 0 : (DoneThisRun ?? Done) / Elapsed.TotalSeconds;

    /// <summary>The images left at this run's speed.</summary>
    public TimeSpan Remaining => ImagesPerSecond <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((Total - Done) / ImagesPerSecond);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Task}: {Done:N0}/{Total:N0} images ({(Total == 0 ? 1 : (double)Done / Total):P0}), {ImagesPerSecond:F0} img/s, " +
        $"{Elapsed.TotalSeconds:F0} s elapsed, about {Remaining.TotalSeconds:F0} s left";
}
