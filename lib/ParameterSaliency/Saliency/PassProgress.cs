namespace ParameterSaliency.Saliency;

/// <summary>Where a long pass over images stands, with an estimate of the time left.</summary>
public sealed record PassProgress(string Task, int Done, int Total, TimeSpan Elapsed)
{
    /// <summary>Linear extrapolation of the elapsed time.</summary>
    public TimeSpan Remaining => Done == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Elapsed.TotalSeconds * (Total - Done) / Done);

    public override string ToString() =>
        $"{Task}: {Done:N0}/{Total:N0} images ({(Total == 0 ? 1 : (double)Done / Total):P0}), {Elapsed.TotalSeconds:F0} s elapsed, about {Remaining.TotalSeconds:F0} s left";
}
