package jp.kouiki.window.iffile;

/**
 * An interface file that must not travel further. The message is written for the municipal or union staff who will
 * read it in a reason file: Japanese first, English beside it, naming the value that is wrong and what to do.
 */
public class InterfaceFileRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    public InterfaceFileRejectedException(String japanese, String english) {
        super(japanese + " / " + english);
    }
}
