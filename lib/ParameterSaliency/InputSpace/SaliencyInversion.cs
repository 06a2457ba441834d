using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.InputSpace;

/// <summary>Options of <see cref="SaliencyInversion"/>.</summary>
public sealed record InversionOptions
{
    /// <summary>Optimiser steps (each one a double backward).</summary>
    public int Steps { get; init; } = 100;
    /// <summary>Adam learning rate in pixel units ([0, 1] images).</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>Keep a frame of the image every this many steps (0: first and last only).</summary>
    public int FrameEvery { get; init; } = 20;
    /// <summary>Seed of the uniform noise a start from noise uses.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Rejects options that cannot run.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "At least one step.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "A positive, finite learning rate.");
        if (FrameEvery < 0) throw new ArgumentOutOfRangeException(nameof(FrameEvery), FrameEvery, "Zero or more.");
    }
}

/// <summary>
/// Saliency inversion (paper §2.2): x̂ = argmin over x ∈ [0, 1]^n of 1 − cos(ŝ(x, y), s*), by Adam on the
/// pixels, projected back onto [0, 1] after every step, from a given image or from uniform noise.
/// <code>
/// var inversion = new SaliencyInversion(model, statistics, normalization);
/// var target = inversion.BoostedProfile(test.Images[i], test.LabelArray[i]);   // s' of image i
/// var result = inversion.Invert(target, test.LabelArray[i], start: test.Pixels(i));
/// </code>
/// </summary>
public sealed class SaliencyInversion
{
    // Adam's β1 = 0.9, β2 = 0.999 (the moments' decays and weights) and ε = 1e-8, held for the process (see HeldScalars).
    static readonly Scalar FirstDecay = 0.9, FirstWeight = 0.1, SecondDecay = 0.999, SecondWeight = 0.001, Epsilon = 1e-8;

    readonly InputSpaceSaliency heatmaps;
    readonly Normalization normalization;

    /// <summary>Prepares inversion for <paramref name="model"/> with μ, σ from <paramref name="statistics"/>; images are normalised with <paramref name="normalization"/>.</summary>
    /// <param name="model">Classifier whose profile ŝ(x, y) is matched.</param>
    /// <param name="statistics">Per-filter μ and σ of the profiles, computed for <paramref name="model"/>.</param>
    /// <param name="normalization">Normalisation that turns pixels in [0, 1] into model inputs.</param>
    /// <param name="options">Steps, learning rate, frame interval and noise seed; null for the defaults.</param>
    /// <param name="boost">Heatmap options giving k, the boost factor and the standardization of ŝ; null for the defaults.</param>
    public SaliencyInversion(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, Normalization normalization, InversionOptions? options = null, HeatmapOptions? boost = null)
    {
        Options = options ?? new InversionOptions();
        Options.Validate();
        heatmaps = new InputSpaceSaliency(model, statistics, boost);
        this.normalization = normalization;
    }

    /// <summary>The options in force.</summary>
    public InversionOptions Options { get; }

    /// <summary>ŝ(x, y) of a model-ready image [C, H, W].</summary>
    /// <param name="input">Model-ready (normalised) image x [C, H, W].</param>
    /// <param name="label">Label y in ŝ(x, y).</param>
    public float[] Profile(Tensor input, int label)
    {
        using var scope = NewDisposeScope();
        var (batch, labels) = heatmaps.Prepare(input, label);
        return heatmaps.Profile.Standardized(batch, labels).detach().to(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    /// <summary>s': ŝ(x, y) with its top-k entries (k, boost from the heatmap options) multiplied by the boost factor.</summary>
    /// <param name="input">Model-ready (normalised) image x [C, H, W].</param>
    /// <param name="label">Label y in ŝ(x, y).</param>
    public float[] BoostedProfile(Tensor input, int label)
    {
        float[] z = Profile(input, label);
        foreach (int entry in FilterRanking.Top(z, heatmaps.Options.K)) z[entry] *= (float)heatmaps.Options.Boost;
        return z;
    }

    /// <summary>
    /// Optimises an image toward the target profile s* (<paramref name="target"/>, one entry per filter) for
    /// label y; starts from <paramref name="start"/> (pixels in [0, 1], [C, H, W]) or, when null, from uniform
    /// noise of shape <paramref name="shape"/>.
    /// </summary>
    /// <param name="target">Target profile s*, one finite entry per filter (e.g. from <see cref="BoostedProfile"/>).</param>
    /// <param name="label">Label y in ŝ(x, y).</param>
    /// <param name="start">Start image, pixels in [0, 1] [C, H, W] (clamped); null to start from uniform noise.</param>
    /// <param name="shape">(C, H, W) of the noise start, used only when <paramref name="start"/> is null.</param>
    public InversionResult Invert(IReadOnlyList<float> target, int label, Tensor? start = null, (int Channels, int Height, int Width)? shape = null)
    {
        if (target.Count != heatmaps.Profile.Layout.Length) throw new ArgumentException($"The target profile has {target.Count} entries; the model has {heatmaps.Profile.Layout.Length} filters.");
        if (target.Any(v => !float.IsFinite(v))) throw new ArgumentException("The target profile contains NaN or infinite values.");
        if (start is null && shape is null) throw new ArgumentException("Give a start image or the shape of the noise to start from.");
        if (start is not null && (start.dim() != 3 || !isfinite(start).all().item<bool>()))
            throw new ArgumentException($"The start image must be finite pixels [C, H, W]; got shape [{string.Join(", ", start.shape)}].");
        using var scope = NewDisposeScope();
        var (c, h, w) = start is null ? shape!.Value : ((int)start.shape[0], (int)start.shape[1], (int)start.shape[2]);
        var initial = start?.to(ScalarType.Float32).cpu().clamp(Zero, One) ?? rand([c, h, w], generator: new Generator((ulong)Options.Seed));
        var (_, labels) = heatmaps.Prepare(normalization.Apply(initial.unsqueeze(0)).squeeze(0), label);
        var device = labels.device;
        var pixels = initial.unsqueeze(0).to(device).clone().requires_grad_(true);
        var goal = tensor(target.ToArray(), device: device);
        // Adam (β1 0.9, β2 0.999, ε 1e-8) by hand on the pixel gradient: autograd.grad leaves the model's .grad untouched.
        var firstMoment = zeros_like(pixels);
        var secondMoment = zeros_like(pixels);
        var losses = new List<double>();
        var frames = new List<InversionFrame> { new(0, Flat(pixels)) };
        for (int step = 1; step <= Options.Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            var x = normalization.Apply(pixels);
            var z = heatmaps.Profile.Standardized(x.to(heatmaps.ModelDType), labels);
            var loss = One - nn.functional.cosine_similarity(z.to(ScalarType.Float32).unsqueeze(0), goal.unsqueeze(0), dim: 1).sum();
            // The pixel gradient of the profile needs the double backward: the loss depends on x only through ∂L/∂θ.
            var gradient = autograd.grad([loss], [pixels])[0].detach();
            using (no_grad())
            {
                using Scalar firstCorrection = 1 - Math.Pow(0.9, step), secondCorrection = 1 - Math.Pow(0.999, step), rate = Options.LearningRate;
                firstMoment.mul_(FirstDecay).add_(gradient, alpha: FirstWeight);
                secondMoment.mul_(SecondDecay).addcmul_(gradient, gradient, value: SecondWeight);
                var corrected = firstMoment / firstCorrection;
                var scale = (secondMoment / secondCorrection).sqrt_().add_(Epsilon);
                pixels.sub_(corrected / scale * rate).clamp_(Zero, One);
            }
            losses.Add(loss.item<float>());
            if ((Options.FrameEvery > 0 && step % Options.FrameEvery == 0) || step == Options.Steps) frames.Add(new InversionFrame(step, Flat(pixels)));
        }
        // The profile itself needs a backward pass, so the final distance is computed with gradients enabled.
        var final = heatmaps.Profile.Standardized(normalization.Apply(pixels.detach()).to(heatmaps.ModelDType), labels).detach();
        float finalDistance = 1 - nn.functional.cosine_similarity(final.to(ScalarType.Float32).unsqueeze(0), goal.unsqueeze(0), dim: 1).item<float>();
        return new InversionResult(frames, losses, finalDistance, c, h, w);
    }

    static float[] Flat(Tensor pixels) => pixels.detach().to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
}

/// <summary>The image after <see cref="Step"/> optimiser steps, pixels in [0, 1], [C, H, W].</summary>
/// <param name="Step">Optimiser steps taken (0: the start image).</param>
/// <param name="Pixels">The image's pixels in [0, 1], row-major [C, H, W].</param>
public sealed record InversionFrame(int Step, float[] Pixels);

/// <summary>The result of <see cref="SaliencyInversion.Invert"/>: frames, the loss curve 1 − cos per step, and the final distance.</summary>
/// <param name="Frames">Snapshots of the image, the start first and the final step last.</param>
/// <param name="Losses">The loss 1 − cos(ŝ, s*) of every step, before its update.</param>
/// <param name="FinalDistance">1 − cos(ŝ, s*) of the final image.</param>
/// <param name="Channels">Colour channels C.</param>
/// <param name="Height">Height H in pixels.</param>
/// <param name="Width">Width W in pixels.</param>
public sealed record InversionResult(IReadOnlyList<InversionFrame> Frames, IReadOnlyList<double> Losses, float FinalDistance, int Channels, int Height, int Width)
{
    /// <summary>The reconstructed image, pixels in [0, 1], [C, H, W].</summary>
    public float[] Pixels => Frames[^1].Pixels;

    /// <inheritdoc/>
    public override string ToString() => $"saliency inversion: cosine distance {Losses[0]:F4} → {FinalDistance:F4} after {Losses.Count} steps";
}
