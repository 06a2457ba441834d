namespace ParameterSaliency.Trust;

/// <summary>How much a <see cref="SanityCheck"/> examines. The defaults are the full run of <c>saliency sanity</c>; notebook 09 uses a smaller setting.</summary>
public sealed record SanityOptions
{
    /// <summary>Mistakes explained (the first ones of the test split): the images every test but localisation compares.</summary>
    public int Images { get; init; } = 64;
    /// <summary>Test images whose profiles estimate μ and σ of every randomised or relabelled model (the same images for all; the trained model keeps its own statistics).</summary>
    public int ReferenceImages { get; init; } = 1000;
    /// <summary>Seed of the layers' fresh initialisation, the random classes, the random controls and the bootstrap.</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Also randomise each layer alone (the independent curves), not only cascading.</summary>
    public bool Independent { get; init; } = true;
    /// <summary>Steps of the deletion and insertion curves.</summary>
    public int DeletionSteps { get; init; } = 16;
    /// <summary>First test images whose mistakes are looked up among their saliency neighbours (§3.2) with trained and with random weights.</summary>
    public int NeighbourImages { get; init; } = 2000;
    /// <summary>Most turned images explained for localisation on the planted cue.</summary>
    public int CueImages { get; init; } = 64;

    /// <summary>Rejects settings that cannot run.</summary>
    public void Validate()
    {
        if (Images < 2) throw new ArgumentOutOfRangeException(nameof(Images), Images, "At least 2 images (the floor compares different images).");
        if (ReferenceImages < 2) throw new ArgumentOutOfRangeException(nameof(ReferenceImages), ReferenceImages, "μ and σ need at least 2 reference images.");
        if (DeletionSteps < 2) throw new ArgumentOutOfRangeException(nameof(DeletionSteps), DeletionSteps, "At least 2 steps.");
        if (NeighbourImages < 12) throw new ArgumentOutOfRangeException(nameof(NeighbourImages), NeighbourImages, "At least 12 images (10 neighbours each).");
        if (CueImages < 1) throw new ArgumentOutOfRangeException(nameof(CueImages), CueImages, "At least 1 image.");
    }
}
