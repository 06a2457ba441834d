using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Σ_k |∂L_n/∂W[o, k]| for every sample n and filter o of a Conv2d (groups = 1, zero padding, float32 in host memory),
/// without ever storing a per-sample gradient: ∂L_n/∂W[o, (i, a, b)] = Σ_(y, x) ∂L_n/∂out[n, o, y, x] · x_pad[n, i, y·s + a·d, x·s + b·d]
/// is accumulated in vector registers for 8 weights (i, a, b) × one or two vectors of filters o, read straight from the padded
/// input (no im2col), and only its magnitude is added up. The batched matrix product it replaces writes every
/// per-sample gradient to memory, then sweeps it twice more (|g|, the mean): on the default model's widest layers that
/// traffic, not the arithmetic, was the cost. Summation order differs from the matrix product's, within float32 rounding.
/// </summary>
internal static class ConvolutionGradientSums
{
    /// <summary>Whether the sums of this layer's per-sample gradients can be computed here: float32 tensors in host memory.</summary>
    public static bool Handles(Tensor input, Tensor outputGradient) =>
        input.dtype == ScalarType.Float32 && outputGradient.dtype == ScalarType.Float32 &&
        input.device_type == TorchSharp.DeviceType.CPU && outputGradient.device_type == TorchSharp.DeviceType.CPU;

    /// <summary>
    /// For each layer, the [N, out] sums of |∂L_n/∂W[o, ·]| over each filter's in·kh·kw weights, from the layer's input
    /// [N, in, H, W] and ∂L/∂output [N, out, H', W']; all the layers of one pass at once: every layer's inputs are prepared
    /// (libtorch operations) first, then one parallel loop runs all of their work. libtorch's OpenMP threads spin for a
    /// while after each of its operations; a parallel loop started right after one shares the cores with that spinning
    /// (measured: 2 threads 1.3-2x slower than 1 on a layer alone, 2 cores), so the pass's layers get one start between them.
    /// </summary>
    public static Tensor[] Of(IReadOnlyList<(Conv2d Conv, Tensor Input, Tensor OutputGradient)> layers)
    {
        using var scope = NewDisposeScope();
        var jobs = layers.Select(layer => new Layer(layer.Conv, layer.Input, layer.OutputGradient)).ToArray();
        var firstItem = new int[jobs.Length + 1];
        for (int i = 0; i < jobs.Length; i++) firstItem[i + 1] = firstItem[i] + jobs[i].Items;
        Parallel.For(0, firstItem[^1], new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) }, item =>
        {
            int job = Array.BinarySearch(firstItem, item);
            job = job >= 0 ? job : ~job - 1;
            while (firstItem[job + 1] <= item) job++; // layers without work share a first item
            jobs[job].Run(item - firstItem[job]);
        });
        return jobs.Select(job => job.Sums().MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>
    /// One layer's prepared work: its input and transposed output gradient in host memory, the offsets of its weights and
    /// positions in a padded sample, and the sums. Each work item pads its sample itself, into a buffer of its thread: a
    /// padded copy of the whole batch made by libtorch cost about as much as the transposed gradient and a third of the
    /// sums' time on the default model (its 20 layers: 17 ms of 55 per 64 images, both copies together).
    /// </summary>
    sealed class Layer
    {
        readonly Tensor input, gradient;
        readonly int[] weightOffsets, positionOffsets;
        readonly int samples, filters, blocks, pairs, lanes, channels, inputHeight, inputWidth, top, left, height, width, gradientPerSample;
        readonly float[] sums;

        [ThreadStatic] static float[]? paddedSample;

        public Layer(Conv2d conv, Tensor input, Tensor outputGradient)
        {
            long[] kernel = conv.kernel_size, stride = conv.stride, dilation = conv.dilation, padding = conv.padding!;
            samples = (int)input.shape[0];
            filters = (int)conv.out_channels;
            channels = (int)input.shape[1];
            inputHeight = (int)input.shape[2];
            inputWidth = (int)input.shape[3];
            (top, left) = ((int)padding[0], (int)padding[1]);
            (height, width) = (inputHeight + 2 * top, inputWidth + 2 * left);
            int outHeight = (int)outputGradient.shape[2], outWidth = (int)outputGradient.shape[3];
            this.input = HostValues.Of(input, ScalarType.Float32);
            lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
            blocks = (filters + lanes - 1) / lanes;
            pairs = (blocks + 1) / 2; // work items: a sample and two vectors of filters (one, for an odd last block)
            int paddedFilters = blocks * lanes, positions = outHeight * outWidth;
            // ∂L/∂out as [N, H'·W', filters padded to whole vectors with zeros]: one vector load per position.
            var transposed = outputGradient.detach().reshape(samples, filters, positions).transpose(1, 2);
            gradient = HostValues.Of(paddedFilters == filters ? transposed : nn.functional.pad(transposed, [0, paddedFilters - filters]), ScalarType.Float32);
            weightOffsets = new int[channels * kernel[0] * kernel[1]];
            for (int i = 0, k = 0; i < channels; i++)
                for (int a = 0; a < kernel[0]; a++)
                    for (int b = 0; b < kernel[1]; b++)
                        weightOffsets[k++] = (int)(i * height * width + a * dilation[0] * width + b * dilation[1]);
            positionOffsets = new int[positions];
            for (int y = 0, l = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                    positionOffsets[l++] = (int)(y * stride[0] * width + x * stride[1]);
            gradientPerSample = positions * paddedFilters;
            sums = new float[samples * paddedFilters];
        }

        /// <summary>Work items: one per sample and pair of filter vectors.</summary>
        public int Items => samples * pairs;

        /// <summary>Computes work item <paramref name="item"/>'s sums (any thread; items write disjoint sums).</summary>
        public void Run(int item)
        {
            int sample = item / pairs, block = item % pairs * 2;
            ref float x = ref MemoryMarshal.GetArrayDataReference(PadSample(sample));
            // Spans cannot be held across the parallel loop: each work item reads the tensors' memory afresh (no copy).
            ref float g = ref Unsafe.Add(ref MemoryMarshal.GetReference(HostValues.Floats(gradient)), sample * gradientPerSample + block * lanes);
            ref float sum = ref sums[(sample * blocks + block) * lanes];
            int stride = blocks * lanes;
            bool two = block + 1 < blocks;
            if (Vector512.IsHardwareAccelerated)
            {
                if (two) Pair<Lanes512, Vector512<float>>(ref x, ref g, stride, weightOffsets, positionOffsets, ref sum);
                else Single<Lanes512, Vector512<float>>(ref x, ref g, stride, weightOffsets, positionOffsets, ref sum);
            }
            else if (two) Pair<Lanes256, Vector256<float>>(ref x, ref g, stride, weightOffsets, positionOffsets, ref sum);
            else Single<Lanes256, Vector256<float>>(ref x, ref g, stride, weightOffsets, positionOffsets, ref sum);
        }

        /// <summary>Sample <paramref name="sample"/>'s input with zeros around it [in, H + 2·top, W + 2·left], in this thread's buffer.</summary>
        float[] PadSample(int sample)
        {
            int length = channels * height * width;
            if (paddedSample is null || paddedSample.Length < length) paddedSample = new float[length];
            var destination = paddedSample.AsSpan(0, length);
            if (top > 0 || left > 0) destination.Clear();
            var source = HostValues.Floats(input).Slice(sample * channels * inputHeight * inputWidth, channels * inputHeight * inputWidth);
            for (int plane = 0; plane < channels; plane++)
                for (int y = 0; y < inputHeight; y++)
                    source.Slice((plane * inputHeight + y) * inputWidth, inputWidth).CopyTo(destination.Slice((plane * height + y + top) * width + left, inputWidth));
            return paddedSample;
        }

        /// <summary>The sums [N, out].</summary>
        public Tensor Sums() => tensor(sums).reshape(samples, blocks * lanes).narrow(1, 0, filters).contiguous();
    }

    /// <summary>
    /// One sample's sums for one vector of filters: weights in groups of 8 rows (i, a, b), each group's 8 per-sample gradient
    /// vectors accumulated over every output position in registers, then their magnitudes added to the vector of sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // vector code is many times slower before the JIT's tier-up
    static void Single<TOps, TVector>(ref float x, ref float g, int gradientStride, int[] weightOffsets, int[] positionOffsets, ref float sum)
        where TOps : struct, ILanes<TVector>
    {
        ref int position = ref MemoryMarshal.GetArrayDataReference(positionOffsets);
        int positions = positionOffsets.Length, rows = weightOffsets.Length, k = 0;
        var total = TOps.Zero;
        for (; k + 8 <= rows; k += 8)
        {
            ref float r0 = ref Unsafe.Add(ref x, weightOffsets[k]), r1 = ref Unsafe.Add(ref x, weightOffsets[k + 1]);
            ref float r2 = ref Unsafe.Add(ref x, weightOffsets[k + 2]), r3 = ref Unsafe.Add(ref x, weightOffsets[k + 3]);
            ref float r4 = ref Unsafe.Add(ref x, weightOffsets[k + 4]), r5 = ref Unsafe.Add(ref x, weightOffsets[k + 5]);
            ref float r6 = ref Unsafe.Add(ref x, weightOffsets[k + 6]), r7 = ref Unsafe.Add(ref x, weightOffsets[k + 7]);
            TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
            for (int l = 0; l < positions; l++)
            {
                var gradients = TOps.Load(ref Unsafe.Add(ref g, l * gradientStride));
                int p = Unsafe.Add(ref position, l);
                a0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r0, p)), gradients, a0);
                a1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r1, p)), gradients, a1);
                a2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r2, p)), gradients, a2);
                a3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r3, p)), gradients, a3);
                a4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r4, p)), gradients, a4);
                a5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r5, p)), gradients, a5);
                a6 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r6, p)), gradients, a6);
                a7 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r7, p)), gradients, a7);
            }
            total = Magnitudes<TOps, TVector>(total, a0, a1, a2, a3, a4, a5, a6, a7);
        }
        for (; k < rows; k++)
        {
            ref float r = ref Unsafe.Add(ref x, weightOffsets[k]);
            var a = TOps.Zero;
            for (int l = 0; l < positions; l++)
                a = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref r, Unsafe.Add(ref position, l))), TOps.Load(ref Unsafe.Add(ref g, l * gradientStride)), a);
            total = TOps.Add(total, TOps.Abs(a));
        }
        TOps.Store(total, ref sum);
    }

    /// <summary>
    /// As <see cref="Single"/> for two adjacent vectors of filters at once: each input value read is used by 2 vector
    /// multiply-adds instead of 1 (16 accumulators), which on the default model's layers of 32 filters or more was 1.2-1.6x faster.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Pair<TOps, TVector>(ref float x, ref float g, int gradientStride, int[] weightOffsets, int[] positionOffsets, ref float sum)
        where TOps : struct, ILanes<TVector>
    {
        int lanes = TOps.Count;
        ref int position = ref MemoryMarshal.GetArrayDataReference(positionOffsets);
        int positions = positionOffsets.Length, rows = weightOffsets.Length, k = 0;
        TVector total = TOps.Zero, total2 = TOps.Zero;
        for (; k + 8 <= rows; k += 8)
        {
            ref float r0 = ref Unsafe.Add(ref x, weightOffsets[k]), r1 = ref Unsafe.Add(ref x, weightOffsets[k + 1]);
            ref float r2 = ref Unsafe.Add(ref x, weightOffsets[k + 2]), r3 = ref Unsafe.Add(ref x, weightOffsets[k + 3]);
            ref float r4 = ref Unsafe.Add(ref x, weightOffsets[k + 4]), r5 = ref Unsafe.Add(ref x, weightOffsets[k + 5]);
            ref float r6 = ref Unsafe.Add(ref x, weightOffsets[k + 6]), r7 = ref Unsafe.Add(ref x, weightOffsets[k + 7]);
            TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
            TVector b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero, b4 = TOps.Zero, b5 = TOps.Zero, b6 = TOps.Zero, b7 = TOps.Zero;
            for (int l = 0; l < positions; l++)
            {
                ref float gl = ref Unsafe.Add(ref g, l * gradientStride);
                var ga = TOps.Load(ref gl);
                var gb = TOps.Load(ref Unsafe.Add(ref gl, lanes));
                int p = Unsafe.Add(ref position, l);
                var v = TOps.Broadcast(Unsafe.Add(ref r0, p)); a0 = TOps.MultiplyAdd(v, ga, a0); b0 = TOps.MultiplyAdd(v, gb, b0);
                v = TOps.Broadcast(Unsafe.Add(ref r1, p)); a1 = TOps.MultiplyAdd(v, ga, a1); b1 = TOps.MultiplyAdd(v, gb, b1);
                v = TOps.Broadcast(Unsafe.Add(ref r2, p)); a2 = TOps.MultiplyAdd(v, ga, a2); b2 = TOps.MultiplyAdd(v, gb, b2);
                v = TOps.Broadcast(Unsafe.Add(ref r3, p)); a3 = TOps.MultiplyAdd(v, ga, a3); b3 = TOps.MultiplyAdd(v, gb, b3);
                v = TOps.Broadcast(Unsafe.Add(ref r4, p)); a4 = TOps.MultiplyAdd(v, ga, a4); b4 = TOps.MultiplyAdd(v, gb, b4);
                v = TOps.Broadcast(Unsafe.Add(ref r5, p)); a5 = TOps.MultiplyAdd(v, ga, a5); b5 = TOps.MultiplyAdd(v, gb, b5);
                v = TOps.Broadcast(Unsafe.Add(ref r6, p)); a6 = TOps.MultiplyAdd(v, ga, a6); b6 = TOps.MultiplyAdd(v, gb, b6);
                v = TOps.Broadcast(Unsafe.Add(ref r7, p)); a7 = TOps.MultiplyAdd(v, ga, a7); b7 = TOps.MultiplyAdd(v, gb, b7);
            }
            total = Magnitudes<TOps, TVector>(total, a0, a1, a2, a3, a4, a5, a6, a7);
            total2 = Magnitudes<TOps, TVector>(total2, b0, b1, b2, b3, b4, b5, b6, b7);
        }
        for (; k < rows; k++)
        {
            ref float r = ref Unsafe.Add(ref x, weightOffsets[k]);
            TVector a = TOps.Zero, b = TOps.Zero;
            for (int l = 0; l < positions; l++)
            {
                var v = TOps.Broadcast(Unsafe.Add(ref r, Unsafe.Add(ref position, l)));
                a = TOps.MultiplyAdd(v, TOps.Load(ref Unsafe.Add(ref g, l * gradientStride)), a);
                b = TOps.MultiplyAdd(v, TOps.Load(ref Unsafe.Add(ref g, l * gradientStride + lanes)), b);
            }
            total = TOps.Add(total, TOps.Abs(a));
            total2 = TOps.Add(total2, TOps.Abs(b));
        }
        TOps.Store(total, ref sum);
        TOps.Store(total2, ref Unsafe.Add(ref sum, lanes));
    }

    /// <summary><paramref name="total"/> + |a0| + … + |a7|: a group's 8 per-sample gradient vectors added to the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TVector Magnitudes<TOps, TVector>(TVector total, TVector a0, TVector a1, TVector a2, TVector a3, TVector a4, TVector a5, TVector a6, TVector a7)
        where TOps : struct, ILanes<TVector> =>
        TOps.Add(total, TOps.Add(TOps.Add(TOps.Add(TOps.Abs(a0), TOps.Abs(a1)), TOps.Add(TOps.Abs(a2), TOps.Abs(a3))),
                                 TOps.Add(TOps.Add(TOps.Abs(a4), TOps.Abs(a5)), TOps.Add(TOps.Abs(a6), TOps.Abs(a7)))));

    /// <summary>The vector operations <see cref="Single"/> and <see cref="Pair"/> need, for one vector width (the JIT specialises it per width).</summary>
    interface ILanes<TVector>
    {
        static abstract int Count { get; }
        static abstract TVector Zero { get; }
        static abstract TVector Load(ref float source);
        static abstract TVector Broadcast(float value);
        static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
        static abstract TVector Add(TVector a, TVector b);
        static abstract TVector Abs(TVector a);
        static abstract void Store(TVector value, ref float destination);
    }

    struct Lanes512 : ILanes<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Zero => Vector512<float>.Zero;
        public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
        public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);
    }

    struct Lanes256 : ILanes<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Zero => Vector256<float>.Zero;
        public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
        public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);
    }
}
