using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// libtorch's switches for its two outside convolution libraries, which TorchSharp does not expose:
/// <c>at::globalContext().setUserEnabledMkldnn(bool)</c> (oneDNN, behind PyTorch's <c>torch.backends.mkldnn.enabled</c>)
/// and <c>setUserEnabledNNPACK(bool)</c> (NNPACK, which ATen uses for float32 forward convolutions of 16 images or more
/// when oneDNN is off). libtorch reads them at every convolution, forward and backward, so a change takes effect at once,
/// with no restart, for every thread of the process. libtorch_cpu.so exports the members under their Itanium C++ names;
/// a member function takes its object as the first argument.
/// </summary>
internal static class LibTorchSwitches
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate IntPtr ContextGetter();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate void Setter(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    delegate bool Getter(IntPtr context);

    sealed record Switch(Getter Get, Setter Set);

    static readonly Lazy<(IntPtr Context, Switch OneDnn, Switch Nnpack)> exports = new(Bind);

    /// <summary>Whether libtorch runs float32 convolutions (and its other oneDNN operations) on oneDNN; read from libtorch itself.</summary>
    public static bool OneDnn
    {
        get => exports.Value.OneDnn.Get(exports.Value.Context);
        set => exports.Value.OneDnn.Set(exports.Value.Context, value);
    }

    /// <summary>Whether libtorch may run float32 forward convolutions on NNPACK; read from libtorch itself.</summary>
    public static bool Nnpack
    {
        get => exports.Value.Nnpack.Get(exports.Value.Context);
        set => exports.Value.Nnpack.Set(exports.Value.Context, value);
    }

    /// <summary>Sets both switches for a backend (NNPACK goes off with oneDNN, and back on with it).</summary>
    /// <param name="backend">The backend to run convolutions on.</param>
    public static void Use(ConvolutionBackend backend)
    {
        OneDnn = backend == ConvolutionBackend.OneDnn;
        Nnpack = backend == ConvolutionBackend.OneDnn;
    }

    static (IntPtr, Switch, Switch) Bind()
    {
        string path = Path.Combine(TorchNativeLibraries.LibTorchFolder
            ?? throw new InvalidOperationException("libtorch_cpu.so was not found, so its convolution switches cannot be set."), "libtorch_cpu.so");
        // Loaded by its full path: the same file TorchSharp binds (by its soname) later or already did, never another libtorch.
        IntPtr library = NativeLibrary.Load(path);
        T Export<T>(string name) => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));
        var context = Export<ContextGetter>("_ZN2at13globalContextEv")();
        return (context,
            new Switch(Export<Getter>("_ZNK2at7Context17userEnabledMkldnnEv"), Export<Setter>("_ZN2at7Context20setUserEnabledMkldnnEb")),
            new Switch(Export<Getter>("_ZNK2at7Context17userEnabledNNPACKEv"), Export<Setter>("_ZN2at7Context20setUserEnabledNNPACKEb")));
    }
}
