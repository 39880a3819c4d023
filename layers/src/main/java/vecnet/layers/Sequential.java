package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;

/**
 * Layers applied one after the other, PyTorch's {@code nn.Sequential}: {@code y = f_{n-1}(...f_0(x))}.
 * Children are named by their index, so the state_dict keys are {@code "0.weight"}, {@code "1.running_mean"}, ...
 */
public final class Sequential implements Layer, HasStateDict {
    private final List<Layer> children;

    public Sequential(Layer... children) {
        this(List.of(children));
    }

    public Sequential(List<? extends Layer> children) {
        this.children = List.copyOf(children);
    }

    public List<Layer> children() {
        return children;
    }

    public Layer get(int i) {
        return children.get(i);
    }

    public int size() {
        return children.size();
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < children.size(); i++) {
            if (children.get(i) instanceof HasStateDict s) {
                for (Map.Entry<String, Tensor> e : s.namedTensors().entrySet()) {
                    m.put(i + "." + e.getKey(), e.getValue());
                }
            }
        }
        return m;
    }

    /** Refreshes the packed weights of every child; see {@link HasStateDict}. */
    @Override
    public void weightsChanged() {
        for (Layer child : children) {
            if (child instanceof HasStateDict s) {
                s.weightsChanged();
            }
        }
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        Tensor y = x;
        for (Layer l : children) {
            y = l.forward(y, pool);
        }
        return y;
    }

    @Override
    public String toString() {
        return "Sequential" + children;
    }
}
